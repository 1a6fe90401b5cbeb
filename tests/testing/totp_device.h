#ifndef IDENTITY_TESTS_TESTING_TOTP_DEVICE_H_
#define IDENTITY_TESTS_TESTING_TOTP_DEVICE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/totp.h"

namespace identity::testing {

// What an authenticator app does with an otpauth:// URI: reads the base32
// secret and shows the code of the current time step.
class TotpDevice {
 public:
  explicit TotpDevice(absl::string_view otpauth_uri) {
    const size_t at = otpauth_uri.find("secret=");
    if (at == absl::string_view::npos) return;
    absl::string_view base32 = otpauth_uri.substr(at + 7);
    base32 = base32.substr(0, base32.find('&'));
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : base32) {
      const int value = c >= 'A' && c <= 'Z' ? c - 'A' : c - '2' + 26;
      buffer = (buffer << 5) | static_cast<uint32_t>(value);
      bits += 5;
      if (bits >= 8) {
        secret_.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
        bits -= 8;
      }
    }
  }
  bool valid() const { return secret_.size() == auth::totp::kSecretBytes; }
  std::string CodeAt(absl::Time time) const {
    return auth::totp::Code(secret_, auth::totp::TimeStep(time));
  }

 private:
  std::string secret_;
};

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_TOTP_DEVICE_H_
