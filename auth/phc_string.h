#ifndef IDENTITY_AUTH_PHC_STRING_H_
#define IDENTITY_AUTH_PHC_STRING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace identity::auth {

struct Argon2Params {
  uint32_t memory_kib;
  uint32_t iterations;
  uint32_t parallelism;
};

inline bool operator==(const Argon2Params& a, const Argon2Params& b) {
  return a.memory_kib == b.memory_kib && a.iterations == b.iterations &&
         a.parallelism == b.parallelism;
}

// An Argon2id hash in PHC string format:
//   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
// with salt and hash in unpadded standard base64.
struct Argon2idPhc {
  Argon2Params params;
  std::string salt;
  std::string hash;
};

// Parses a PHC string strictly: only argon2id version 19, parameters and
// lengths inside sane bounds (so a corrupt record cannot make a verification
// allocate gigabytes), canonical base64. InvalidArgument otherwise.
absl::StatusOr<Argon2idPhc> ParseArgon2idPhc(absl::string_view phc);

std::string FormatArgon2idPhc(const Argon2idPhc& phc);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_PHC_STRING_H_
