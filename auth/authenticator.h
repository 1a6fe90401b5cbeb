#ifndef IDENTITY_AUTH_AUTHENTICATOR_H_
#define IDENTITY_AUTH_AUTHENTICATOR_H_

#include <string>

#include "absl/status/statusor.h"
#include "auth/password_hasher.h"
#include "auth/principal.h"
#include "storage/store.h"

namespace identity::auth {

// The credential check: turns what a caller presented into a Principal.
//
// Every failure is Unauthenticated with one message, so a caller cannot tell
// an unknown user from a wrong password or a disabled account, and an unknown
// user still costs one Argon2 verification, so timing does not tell either.
// Runs Argon2: call it from the worker pool. Thread-safe.
class Authenticator {
 public:
  // Hashes a random dummy password up front (one Argon2 computation).
  static absl::StatusOr<std::unique_ptr<Authenticator>> New(
      storage::Store& store, const PasswordHasher& hasher);

  // Checks `credentials` by password (Basic). Session tokens arrive with the
  // session issue; until then a Bearer credential is Unauthenticated.
  absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const;

 private:
  Authenticator(storage::Store& store, const PasswordHasher& hasher,
                std::string dummy_hash)
      : store_(store), hasher_(hasher), dummy_hash_(std::move(dummy_hash)) {}

  absl::StatusOr<Principal> CheckPassword(
      const Credentials::Password& password) const;

  storage::Store& store_;
  const PasswordHasher& hasher_;
  // Verified against when the user does not exist, to cost the same time.
  const std::string dummy_hash_;
};

// The single message of every failed credential check.
inline constexpr absl::string_view kInvalidCredentialsMessage =
    "invalid user name or password";

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_AUTHENTICATOR_H_
