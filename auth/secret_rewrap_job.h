#ifndef IDENTITY_AUTH_SECRET_REWRAP_JOB_H_
#define IDENTITY_AUTH_SECRET_REWRAP_JOB_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/clock.h"
#include "auth/principal.h"
#include "auth/secret_rewrap.h"
#include "auth/secret_sealer.h"
#include "storage/store.h"

namespace identity::auth {

// The reason of a RewrapSecrets call while a run is in progress here.
inline constexpr absl::string_view kRewrapRunning = "REWRAP_RUNNING";

// A run of SecretRewrap as the server reports it.
struct SecretRewrapRun {
  enum class State { kRunning, kSucceeded, kFailed, kCancelled };
  State state = State::kRunning;
  bool dry_run = false;
  absl::Time start_time;
  absl::Time end_time;  // unset while running
  std::string started_by;
  SecretRewrapResult result;  // the counts so far while running
  std::string error;          // kFailed: why
};

// The online side of KEK rotation: runs SecretRewrap in identityd on a
// thread of its own (a pass over a million keys takes a minute; no gRPC
// thread or worker waits for it), one run at a time, and keeps the
// current or last run for status calls. Admin only: starting a run needs
// an admin who presented the password on the call (or an mTLS admin
// service); reading the status any admin or reader. Thread-safe.
class SecretRewrapJob {
 public:
  // `on_finished` (may be empty) sees each run as it ends, on the run's
  // thread: the server logs it.
  SecretRewrapJob(storage::Store& store, const SecretSealer& sealer,
                  const Clock& clock,
                  std::function<void(const SecretRewrapRun&)> on_finished,
                  int batch_size = SecretRewrapOptions().batch_size);
  // Cancels a run in progress (it stops after its current batch) and
  // waits for it.
  ~SecretRewrapJob();

  SecretRewrapJob(const SecretRewrapJob&) = delete;
  SecretRewrapJob& operator=(const SecretRewrapJob&) = delete;

  // Starts a run and returns it as started. FailedPrecondition with reason
  // REWRAP_RUNNING while one runs here.
  absl::StatusOr<SecretRewrapRun> Start(const Principal& caller, bool dry_run,
                                        bool verify);
  // The run in progress, else the last one; nullopt if none yet.
  absl::StatusOr<std::optional<SecretRewrapRun>> Status(
      const Principal& caller) const;

  const SecretSealer& sealer() const { return sealer_; }

 private:
  void RunInBackground(Principal actor, SecretRewrapOptions options);

  const SecretSealer& sealer_;
  const Clock& clock_;
  const std::function<void(const SecretRewrapRun&)> on_finished_;
  const int batch_size_;
  SecretRewrap rewrap_;
  mutable absl::Mutex mu_;
  std::optional<SecretRewrapRun> run_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // The thread of the current or last run; joined before the next starts.
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SECRET_REWRAP_JOB_H_
