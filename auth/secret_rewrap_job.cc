#include "auth/secret_rewrap_job.h"

#include <utility>

#include "auth/error_reason.h"
#include "auth/reauthentication.h"

namespace identity::auth {

SecretRewrapJob::SecretRewrapJob(
    storage::Store& store, const SecretSealer& sealer, const Clock& clock,
    std::function<void(const SecretRewrapRun&)> on_finished, int batch_size)
    : sealer_(sealer),
      clock_(clock),
      on_finished_(std::move(on_finished)),
      batch_size_(batch_size),
      rewrap_(store, sealer, clock) {}

SecretRewrapJob::~SecretRewrapJob() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    thread = std::move(thread_);
  }
  rewrap_.Cancel();
  if (thread.joinable()) thread.join();
}

absl::StatusOr<SecretRewrapRun> SecretRewrapJob::Start(const Principal& caller,
                                                       bool dry_run,
                                                       bool verify) {
  if (!caller.is_admin || caller.read_only) {
    return absl::PermissionDeniedError(
        "only an admin may re-seal stored secrets");
  }
  if (absl::Status s =
          RequirePasswordOnCall(caller, "re-sealing stored secrets");
      !s.ok()) {
    return s;
  }
  SecretRewrapOptions options;
  options.batch_size = batch_size_;
  options.dry_run = dry_run;
  options.verify_current = verify;
  Principal actor = caller;
  absl::MutexLock lock(&mu_);
  if (shutting_down_) return absl::UnavailableError("shutting down");
  if (run_.has_value() && run_->state == SecretRewrapRun::State::kRunning) {
    return WithReason(
        absl::FailedPreconditionError(
            "a rewrap is already running on this server: follow it with "
            "GetKeyEncryptionKeyStatus"),
        kRewrapRunning);
  }
  // The last run's thread has finished (its state says so): reap it.
  if (thread_.joinable()) thread_.join();
  SecretRewrapRun run;
  run.dry_run = dry_run;
  run.start_time = clock_.Now();
  run.started_by = caller.user_name;
  run.result.sealing_kek_id = sealer_.sealing_key_id();
  run_ = run;
  thread_ = std::thread([this, actor = std::move(actor), options] {
    RunInBackground(actor, options);
  });
  return run;
}

void SecretRewrapJob::RunInBackground(Principal actor,
                                      SecretRewrapOptions options) {
  absl::StatusOr<SecretRewrapResult> result =
      rewrap_.Run(actor, options, [this](const SecretRewrapResult& progress) {
        absl::MutexLock lock(&mu_);
        run_->result = progress;
      });
  SecretRewrapRun finished;
  {
    absl::MutexLock lock(&mu_);
    run_->end_time = clock_.Now();
    if (!result.ok()) {
      run_->state = SecretRewrapRun::State::kFailed;
      run_->error = std::string(result.status().message());
    } else {
      run_->result = *result;
      run_->state = result->complete ? SecretRewrapRun::State::kSucceeded
                                     : SecretRewrapRun::State::kCancelled;
    }
    finished = *run_;
  }
  if (on_finished_) on_finished_(finished);
}

absl::StatusOr<std::optional<SecretRewrapRun>> SecretRewrapJob::Status(
    const Principal& caller) const {
  if (!caller.is_admin) {
    return absl::PermissionDeniedError(
        "only an admin may read the key-encryption key status");
  }
  absl::MutexLock lock(&mu_);
  return run_;
}

}  // namespace identity::auth
