#ifndef IDENTITY_AUTH_KEY_EXPIRY_PASS_H_
#define IDENTITY_AUTH_KEY_EXPIRY_PASS_H_

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/access_key_lifetime.h"
#include "auth/clock.h"
#include "auth/notifier.h"
#include "storage/store.h"

namespace identity::auth {

struct KeyExpiryPassOptions {
  // Keys read from the store at a time.
  int batch_size = 500;
  // Age warnings handed to the notifier in one pass at most; the rest wait
  // for the next pass, so a notifier that fails (or a policy switched on
  // over a million old keys) costs a bounded amount per pass.
  int max_notices_per_pass = 100;
  // Time between passes, for Start(). Keys are refused the moment they
  // expire or their deactivation is due, whatever the pass does; the pass
  // records it and sends the warnings, so minutes are precise enough.
  absl::Duration interval = absl::Minutes(10);
};

// What one pass did.
struct KeyExpiryPassResult {
  int64_t keys_seen = 0;
  // ACCESS_KEY_EXPIRED events written.
  int64_t expiries_recorded = 0;
  // Scheduled deactivations carried out (status set INACTIVE).
  int64_t deactivations = 0;
  // ACCESS_KEY_AGE_WARNING events written (notices sent, or owners with
  // no channel bound).
  int64_t warnings = 0;
  // Notices the notifier refused; retried on a later pass.
  int64_t notices_failed = 0;
};

// The background work of the key age policy, over every key in batches:
//  - a key past its expire_time gets one ACCESS_KEY_EXPIRED audit event
//    (it is refused from that moment by the verifier; the event records it);
//  - a scheduled deactivation (graceful rotation) that is due sets the key
//    INACTIVE, with an ACCESS_KEY_UPDATED event;
//  - an ACTIVE key older than the warning age gets its owner one notice
//    (email where bound, else SMS), with the key id and dates, never the
//    secret, and an ACCESS_KEY_AGE_WARNING event.
// Each of these is claimed by a marker in the key's own record, written in
// a transaction that re-reads it, so however many replicas run passes and
// however often they restart, each happens once. A notice is claimed
// before it is handed over: a crash in between loses that notice (it is
// never sent twice); a notifier that refuses it releases the claim for a
// later pass. Thread-safe.
class KeyExpiryPass {
 public:
  // `notifier` null: the server delivers no messages, and each warning is
  // only recorded (reported, and audited as not sent) instead of failing
  // on every pass.
  KeyExpiryPass(storage::Store& store, const Clock& clock, Notifier* notifier,
                KeyAgePolicy policy, KeyExpiryPassOptions options = {});
  // Stops the thread of Start(), if any, after its current batch.
  ~KeyExpiryPass();

  KeyExpiryPass(const KeyExpiryPass&) = delete;
  KeyExpiryPass& operator=(const KeyExpiryPass&) = delete;

  // Runs a pass every options.interval on a thread of its own until
  // destroyed, handing each pass's outcome to `on_pass` (for the log).
  using PassCallback =
      std::function<void(const absl::StatusOr<KeyExpiryPassResult>&)>;
  void Start(PassCallback on_pass);

  // One pass over every key. A store error ends it early (the next pass
  // starts over; the markers make that safe).
  absl::StatusOr<KeyExpiryPassResult> RunOnce();

 private:
  enum class Outcome { kDone, kSkipped, kNoticeFailed };
  Outcome RecordExpiry(const storage::AccessKeyRecord& key, absl::Time now);
  Outcome Deactivate(const storage::AccessKeyRecord& key, absl::Time now);
  Outcome Warn(const storage::AccessKeyRecord& key, absl::Time now);

  storage::Store& store_;
  const Clock& clock_;
  Notifier* const notifier_;
  const KeyAgePolicy policy_;
  const KeyExpiryPassOptions options_;
  // One pass at a time (the thread's and a test's).
  absl::Mutex pass_mu_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_KEY_EXPIRY_PASS_H_
