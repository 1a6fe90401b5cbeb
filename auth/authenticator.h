#ifndef IDENTITY_AUTH_AUTHENTICATOR_H_
#define IDENTITY_AUTH_AUTHENTICATOR_H_

#include <string>

#include "absl/status/statusor.h"
#include "auth/login_throttle.h"
#include "auth/mfa_devices.h"
#include "auth/password_hasher.h"
#include "auth/principal.h"
#include "auth/service_principals.h"
#include "auth/session_manager.h"
#include "auth/verification_codes.h"
#include "storage/store.h"

namespace identity::auth {

// Whether a call demands the second factor (x-verification-code) of users
// who have a channel bound: an email, a mobile number or an MFA device.
enum class SecondFactor { kNotRequired, kRequiredWhereBound };

// True when the user has a channel bound, so sign-ins that demand the
// second factor need a code. Any one channel's code is enough.
bool HasSecondFactor(const storage::UserRecord& user);

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
      SessionManager& sessions, LoginThrottle& throttle, MfaDevices& mfa,
      VerificationCodes& codes, const ServicePrincipals* services = nullptr);

  // Checks the password (Basic) if one was presented, else the session
  // token (Bearer), else maps a verified client certificate to a service
  // (`services`, when given). A disabled user's credentials all fail. Where
  // `second_factor` is required and the user has a channel bound, a
  // password check also needs the code: without one it fails with reason
  // VERIFICATION_CODE_REQUIRED; a wrong code counts as a failed sign-in.
  absl::StatusOr<Principal> Authenticate(
      const Credentials& credentials,
      SecondFactor second_factor = SecondFactor::kNotRequired) const;

 private:
  Authenticator(storage::Store& store, const PasswordHasher& hasher,
                SessionManager& sessions, LoginThrottle& throttle,
                MfaDevices& mfa, VerificationCodes& codes,
                const ServicePrincipals* services, std::string dummy_hash)
      : store_(store),
        hasher_(hasher),
        sessions_(sessions),
        throttle_(throttle),
        mfa_(mfa),
        codes_(codes),
        services_(services),
        dummy_hash_(std::move(dummy_hash)) {}

  absl::StatusOr<Principal> CheckPassword(const Credentials& credentials,
                                          SecondFactor second_factor) const;
  // The code against the MFA device, then against the last code sent.
  absl::Status CheckCode(const storage::UserRecord& user,
                         absl::string_view code) const;
  absl::StatusOr<Principal> CheckSession(absl::string_view token) const;
  // Stores a fresh hash when the stored one used weaker parameters.
  void RehashIfOutdated(const storage::UserRecord& user,
                        absl::string_view password) const;

  storage::Store& store_;
  const PasswordHasher& hasher_;
  SessionManager& sessions_;
  LoginThrottle& throttle_;
  MfaDevices& mfa_;
  VerificationCodes& codes_;
  const ServicePrincipals* const services_;  // may be null
  // Verified against when the user does not exist, to cost the same time.
  const std::string dummy_hash_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_AUTHENTICATOR_H_
