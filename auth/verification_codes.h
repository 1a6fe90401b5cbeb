#ifndef IDENTITY_AUTH_VERIFICATION_CODES_H_
#define IDENTITY_AUTH_VERIFICATION_CODES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/clock.h"
#include "auth/notifier.h"
#include "auth/principal.h"
#include "auth/random_source.h"
#include "auth/secret_sealer.h"
#include "storage/store.h"

namespace identity::auth {

struct VerificationCodePolicy {
  absl::Duration lifetime = absl::Minutes(5);
  // Wrong codes after which the code is void.
  int max_failed_attempts = 5;
  // At most one code per user in this interval.
  absl::Duration resend_interval = absl::Seconds(60);
};

struct SentVerificationCode {
  std::string masked_destination;
  absl::Time expire_time;
};

// One-time codes sent to a user's bound email or mobile: 6 digits from the
// CSPRNG, stored only as a keyed hash (SecretSealer::KeyedHash), valid for
// a few minutes, good for one use and a few tries. Thread-safe; Send waits
// for the notifier, so call it from the worker pool.
class VerificationCodes {
 public:
  using Channel = storage::VerificationCodeRecord::Channel;

  VerificationCodes(storage::Store& store, const SecretSealer& sealer,
                    const Clock& clock, RandomSource& random,
                    Notifier& notifier, VerificationCodePolicy policy = {});

  // Sends a fresh code to the caller's bound `channel`, voiding any earlier
  // one. FailedPrecondition if the channel is not bound; ResourceExhausted
  // (with the seconds to wait) within the resend interval; Unavailable if
  // the notifier failed (the code is then void).
  absl::StatusOr<SentVerificationCode> Send(const Principal& caller,
                                            Channel channel);

  // Consumes `code` if it is the user's live code: OK. Unauthenticated if
  // it is not (the try counts) or there is none.
  absl::Status Verify(const storage::UserRecord& user, absl::string_view code);

 private:
  std::string HashCode(absl::string_view user_id, absl::string_view code) const;

  storage::Store& store_;
  const SecretSealer& sealer_;
  const Clock& clock_;
  RandomSource& random_;
  Notifier& notifier_;
  const VerificationCodePolicy policy_;
};

// The message of every rejected second factor.
inline constexpr absl::string_view kInvalidCodeMessage =
    "invalid or expired verification code";

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_VERIFICATION_CODES_H_
