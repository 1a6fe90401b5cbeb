#ifndef IDENTITY_AUTH_AUTHENTICATOR_H_
#define IDENTITY_AUTH_AUTHENTICATOR_H_

#include <string>

#include "absl/status/statusor.h"
#include "auth/login_throttle.h"
#include "auth/password_hasher.h"
#include "auth/principal.h"
#include "auth/session_manager.h"
#include "storage/store.h"

namespace identity::auth {

// The credential check: turns what a caller presented into a Principal.
//
// Every failure is Unauthenticated with one message, so a caller cannot tell
// an unknown user from a wrong password or a disabled account, and an unknown
// user still costs one Argon2 verification, so timing does not tell either.
// Password checks pass the LoginThrottle first: a locked name is refused
// with reason TOO_MANY_ATTEMPTS before any Argon2 runs.
// A password check runs Argon2: call it from the worker pool. Thread-safe.
class Authenticator {
 public:
  // Hashes a random dummy password up front (one Argon2 computation).
  static absl::StatusOr<std::unique_ptr<Authenticator>> New(
      storage::Store& store, const PasswordHasher& hasher,
      SessionManager& sessions, LoginThrottle& throttle);

  // Checks the password (Basic) if one was presented, else the session
  // token (Bearer). A disabled user's credentials all fail.
  absl::StatusOr<Principal> Authenticate(const Credentials& credentials) const;

 private:
  Authenticator(storage::Store& store, const PasswordHasher& hasher,
                SessionManager& sessions, LoginThrottle& throttle,
                std::string dummy_hash)
      : store_(store),
        hasher_(hasher),
        sessions_(sessions),
        throttle_(throttle),
        dummy_hash_(std::move(dummy_hash)) {}

  absl::StatusOr<Principal> CheckPassword(const Credentials::Password& password,
                                          absl::string_view address) const;
  absl::StatusOr<Principal> CheckSession(absl::string_view token) const;
  // Stores a fresh hash when the stored one used weaker parameters.
  void RehashIfOutdated(const storage::UserRecord& user,
                        absl::string_view password) const;

  storage::Store& store_;
  const PasswordHasher& hasher_;
  SessionManager& sessions_;
  LoginThrottle& throttle_;
  // Verified against when the user does not exist, to cost the same time.
  const std::string dummy_hash_;
};

// The single message of every failed credential check.
inline constexpr absl::string_view kInvalidCredentialsMessage =
    "invalid user name or password";

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_AUTHENTICATOR_H_
