#ifndef IDENTITY_AUTH_KEY_GENERATOR_H_
#define IDENTITY_AUTH_KEY_GENERATOR_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/random_source.h"

namespace identity::auth {

inline constexpr size_t kAccessKeyIdLength = 20;
inline constexpr size_t kSecretAccessKeyLength = 40;
inline constexpr size_t kUserIdLength = 20;
inline constexpr absl::string_view kUpperAlphanumeric =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
inline constexpr absl::string_view kAlphanumeric =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// `length` characters drawn uniformly from `alphabet` (2..256 characters):
// bytes at or above the largest multiple of the alphabet size are rejected
// and redrawn, so no character is more likely than another (no modulo bias).
absl::StatusOr<std::string> RandomString(RandomSource& random,
                                         absl::string_view alphabet,
                                         size_t length);

// 20 characters of [A-Z0-9] (about 103 bits).
absl::StatusOr<std::string> GenerateAccessKeyId(RandomSource& random);
// 40 characters of [A-Za-z0-9] (about 238 bits).
absl::StatusOr<std::string> GenerateSecretAccessKey(RandomSource& random);
// 20 characters of [A-Z0-9]; stable for the user's lifetime, never reused.
absl::StatusOr<std::string> GenerateUserId(RandomSource& random);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_KEY_GENERATOR_H_
