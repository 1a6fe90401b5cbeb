#ifndef IDENTITY_AUTH_MFA_DEVICES_H_
#define IDENTITY_AUTH_MFA_DEVICES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/clock.h"
#include "auth/principal.h"
#include "auth/random_source.h"
#include "auth/secret_sealer.h"
#include "storage/store.h"

namespace identity::auth {

// The associated data a user's TOTP secret is sealed with: bound to its
// owner, and never mistaken for an access key's (whose ids have no ':').
// Shared with the re-sealing pass (secret_rewrap.h).
std::string MfaSecretAssociatedData(absl::string_view user_id);

// Virtual MFA devices: a TOTP secret per user (RFC 6238), sealed in the
// user's record like an access key's secret. Enrolment hands out the
// otpauth:// URI once; the device counts as bound only after two
// consecutive codes confirm it; a code (a time step) is never accepted
// twice. Thread-safe.
class MfaDevices {
 public:
  MfaDevices(storage::Store& store, const SecretSealer& sealer,
             const Clock& clock, RandomSource& random, std::string issuer);

  // Starts the caller's enrolment (replacing an unconfirmed one) and
  // returns the provisioning URI. Requires the password on the call;
  // FailedPrecondition if a confirmed device exists.
  absl::StatusOr<std::string> Enroll(const Principal& caller);

  // Confirms the caller's pending device with two consecutive codes
  // (`first` of one time step, `second` of the next) from the last few
  // steps. InvalidArgument if they do not match; FailedPrecondition if
  // nothing is pending.
  absl::Status Confirm(const Principal& caller, absl::string_view first,
                       absl::string_view second);

  // Removes the device of `user_name` (empty: the caller's): users their
  // own with the password on the call, admins anyone's.
  absl::Status Delete(const Principal& caller, absl::string_view user_name);

  // OK if the user has a confirmed device and `code` is its code for the
  // current step or one either side, not used before; the step is then
  // used up. Unauthenticated otherwise.
  absl::Status Verify(const storage::UserRecord& user, absl::string_view code);

 private:
  // The step in [from, to] whose code is `code`, or -1.
  int64_t MatchingStep(absl::string_view secret, absl::string_view code,
                       int64_t from, int64_t to) const;
  absl::StatusOr<std::string> OpenSecret(const storage::UserRecord& user) const;

  storage::Store& store_;
  const SecretSealer& sealer_;
  const Clock& clock_;
  RandomSource& random_;
  const std::string issuer_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_MFA_DEVICES_H_
