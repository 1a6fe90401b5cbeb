#ifndef IDENTITY_AUTH_VALIDATION_H_
#define IDENTITY_AUTH_VALIDATION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

// Input rules for every field a client sends. Each check answers
// InvalidArgument naming the field (`field` is the request field's name) and
// never echoes the value, which may be a secret or garbage.
namespace identity::auth {

inline constexpr size_t kMaxUserNameLength = 64;
inline constexpr size_t kMaxDescriptionLength = 255;
inline constexpr size_t kMaxDisplayNameLength = 128;

// NIST SP 800-63B: a minimum length, a generous maximum, no composition
// rules, never truncated.
struct PasswordPolicy {
  size_t min_length = 8;
  size_t max_length = 256;
};

// Well-formed UTF-8: no overlong forms, surrogates or code points past
// U+10FFFF. Control characters are allowed here.
bool IsValidUtf8(absl::string_view value);

// 1-64 characters of [A-Za-z0-9._@-].
absl::Status ValidateUserName(absl::string_view field, absl::string_view value);

// Valid UTF-8 with no control characters, at most `max_chars` code points.
absl::Status ValidateText(absl::string_view field, absl::string_view value,
                          size_t max_chars);

// Lengths in code points per `policy`, valid UTF-8 and not the user name.
absl::Status ValidatePassword(absl::string_view field,
                              absl::string_view password,
                              absl::string_view user_name,
                              const PasswordPolicy& policy);

// Empty (nothing bound) or local@domain.tld in printable ASCII, <= 254.
absl::Status ValidateEmail(absl::string_view field, absl::string_view value);

// Empty (nothing bound) or E.164: '+' then 8 to 15 digits, no leading 0.
absl::Status ValidateMobile(absl::string_view field, absl::string_view value);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_VALIDATION_H_
