#ifndef IDENTITY_AUTH_TOTP_H_
#define IDENTITY_AUTH_TOTP_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) as
// authenticator apps compute them: HMAC-SHA-1, 6 digits, 30-second steps.
namespace identity::auth::totp {

inline constexpr int kDigits = 6;
inline constexpr int64_t kStepSeconds = 30;
// Bytes of a device secret: 160 bits, as RFC 4226 recommends.
inline constexpr size_t kSecretBytes = 20;

// The step `time` falls in: seconds since the epoch / 30.
int64_t TimeStep(absl::Time time);

// The code of `time_step` under `secret`, zero-padded to `digits`.
std::string Code(absl::string_view secret, int64_t time_step,
                 int digits = kDigits);

// RFC 4648 base32 without padding, the form authenticator apps read.
std::string Base32(absl::string_view bytes);

// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1
// &digits=6&period=30, the URI a QR code carries to the app. Holds the
// secret: hand it to the user once, never log it.
std::string ProvisioningUri(absl::string_view issuer, absl::string_view account,
                            absl::string_view secret);

}  // namespace identity::auth::totp

#endif  // IDENTITY_AUTH_TOTP_H_
