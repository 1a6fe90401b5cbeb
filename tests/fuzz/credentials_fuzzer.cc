// Authorization and x-verification-code header values, as a client sends
// them: parsing must never crash, and what it accepts must be well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "service/credentials_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  // "<authorization>\n<verification code>"; a missing part is absent.
  const size_t newline = input.find('\n');
  const absl::string_view authorization =
      absl::string_view(input).substr(0, newline);
  const absl::string_view code =
      newline == std::string::npos
          ? absl::string_view()
          : absl::string_view(input).substr(newline + 1);
  absl::StatusOr<identity::auth::Credentials> parsed =
      identity::service::ParseCredentialHeaders(
          &authorization, newline == std::string::npos ? nullptr : &code);
  if (!parsed.ok()) {
    if (!absl::IsUnauthenticated(parsed.status())) abort();
    return 0;
  }
  if (parsed->verification_code.has_value() &&
      parsed->verification_code->find_first_not_of("0123456789") !=
          std::string::npos) {
    abort();
  }
  return 0;
}
