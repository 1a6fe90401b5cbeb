// Stored password hashes: a corrupt record must parse to an error, never a
// crash or a huge allocation, and what parses must format back unchanged
// (the parser accepts only canonical strings).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "auth/phc_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<identity::auth::Argon2idPhc> phc =
      identity::auth::ParseArgon2idPhc(input);
  if (!phc.ok()) return 0;
  if (phc->params.memory_kib > (1u << 20)) abort();
  if (identity::auth::FormatArgon2idPhc(*phc) != input) abort();
  return 0;
}
