#ifndef IDENTITY_AUTH_AUDIT_RETENTION_PASS_H_
#define IDENTITY_AUTH_AUDIT_RETENTION_PASS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/clock.h"
#include "storage/store.h"

namespace identity::auth {

// The shortest retention the pass accepts: below it, a mistyped flag
// ("400" read as seconds would be refused by absl anyway; "9h" for "9600h"
// is not) could wipe the audit trail within the hour.
inline constexpr absl::Duration kMinAuditRetention = absl::Hours(24);

struct AuditRetentionOptions {
  // Events older than this are deleted; absl::InfiniteDuration(): none,
  // the pass does nothing. At least kMinAuditRetention otherwise.
  absl::Duration retention = absl::Hours(400 * 24);
  // Events per batch, each batch one transaction; the store lowers it to
  // fit its engine (etcd: 42).
  int batch_size = 1000;
  // Batches in one pass at most, so that the first pass over years of
  // history (or after the retention was shortened) costs a bounded amount;
  // the rest goes on the next passes.
  int max_batches_per_pass = 100;
  // Time between passes, for Start().
  absl::Duration interval = absl::Hours(1);
  // How far the clock may disagree with the time elapsed since it was last
  // trusted before the cutoff is held back (see AuditRetentionPass): NTP's
  // corrections stay well inside it, a jump by a day does not.
  absl::Duration clock_step_tolerance = absl::Hours(1);
  // The time really elapsed (CLOCK_BOOTTIME when null, which also counts a
  // suspended machine's sleep). Tests inject one.
  const Clock* elapsed_clock = nullptr;
};

// OK for an accepted retention: infinite, or at least kMinAuditRetention.
absl::Status ValidateAuditRetention(absl::Duration retention);

// What one pass did.
struct AuditRetentionPassResult {
  // Events before it were deleted (those of the pass's batches).
  absl::Time cutoff = absl::InfinitePast();
  int64_t events_deleted = 0;
  int64_t batches = 0;
  // The pass stopped at max_batches_per_pass: old events may be left for
  // the next pass (its last batch may also have taken the last of them).
  bool more_left = false;
  // The clock ran ahead of the time elapsed since it was last trusted (it
  // jumped forward): the cutoff was held back to what elapsed.
  bool cutoff_held_back = false;
};

// The background deletion of audit events older than the retention.
//
// Each pass reads the clock once: cutoff = now - retention, and deletes
// the events before it through Store::PurgeAuditEvents, oldest first, in
// batches of one transaction each. Nothing at or after the cutoff is ever
// deleted, whatever the clock does during the pass.
//
// A wall clock that jumps forward (a bad NTP step, a mistyped date) would
// otherwise move the cutoff with it and irrevocably delete history that is
// not old. So the pass remembers the last clock reading it trusted (the
// first pass's, then each that agreed, within clock_step_tolerance, with
// the time elapsed since) and never puts the cutoff further than that
// reading's cutoff plus the time elapsed: a jump forward is held back
// (cutoff_held_back, logged by the server) until the clock agrees again
// or the process restarts, which is how an operator accepts a clock that
// was wrong (behind) when it started. A jump back just deletes less, and
// is not trusted either. The first pass of a process has nothing to
// compare with and trusts the clock.
//
// Any number of replicas may run passes on one store at once: the store
// deletes each event once and counts it once. Thread-safe.
class AuditRetentionPass {
 public:
  AuditRetentionPass(storage::Store& store, const Clock& clock,
                     AuditRetentionOptions options = {});
  // Stops the thread of Start(), if any, after its current batch.
  ~AuditRetentionPass();

  AuditRetentionPass(const AuditRetentionPass&) = delete;
  AuditRetentionPass& operator=(const AuditRetentionPass&) = delete;

  // Runs a pass every options.interval on a thread of its own until
  // destroyed, handing each pass's outcome to `on_pass` (for the log). No
  // thread when the retention is infinite.
  using PassCallback =
      std::function<void(const absl::StatusOr<AuditRetentionPassResult>&)>;
  void Start(PassCallback on_pass);

  // One pass. A store error ends it early: the batches before it stay
  // deleted, and the next pass goes on from there.
  absl::StatusOr<AuditRetentionPassResult> RunOnce();

  // Events deleted by this process's passes so far (for the metric).
  int64_t events_deleted() const { return events_deleted_.load(); }

 private:
  absl::Time Elapsed() const;

  storage::Store& store_;
  const Clock& clock_;
  const AuditRetentionOptions options_;
  std::atomic<int64_t> events_deleted_{0};
  // One pass at a time (the thread's and a test's).
  absl::Mutex pass_mu_;
  // The cutoff of the last trusted clock reading, and the elapsed clock's
  // time then.
  struct Anchor {
    absl::Time cutoff;
    absl::Time elapsed;
  };
  std::optional<Anchor> anchor_ ABSL_GUARDED_BY(pass_mu_);
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_AUDIT_RETENTION_PASS_H_
