#include "auth/audit_retention_pass.h"

#include <time.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace identity::auth {

absl::Status ValidateAuditRetention(absl::Duration retention) {
  if (retention == absl::InfiniteDuration() ||
      retention >= kMinAuditRetention) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--audit_retention must be at least ",
      absl::FormatDuration(kMinAuditRetention),
      " (inf keeps every event); got ", absl::FormatDuration(retention)));
}

AuditRetentionPass::AuditRetentionPass(storage::Store& store,
                                       const Clock& clock,
                                       AuditRetentionOptions options)
    : store_(store), clock_(clock), options_(options) {}

AuditRetentionPass::~AuditRetentionPass() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void AuditRetentionPass::Start(PassCallback on_pass) {
  if (options_.retention == absl::InfiniteDuration()) return;
  thread_ = std::thread([this, on_pass = std::move(on_pass)] {
    // A failed pass is retried on the next.
    while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
      on_pass(RunOnce());
    }
  });
}

absl::Time AuditRetentionPass::Elapsed() const {
  if (options_.elapsed_clock != nullptr) return options_.elapsed_clock->Now();
  timespec since_boot{};
  clock_gettime(CLOCK_BOOTTIME, &since_boot);
  return absl::TimeFromTimespec(since_boot);
}

absl::StatusOr<AuditRetentionPassResult> AuditRetentionPass::RunOnce() {
  absl::MutexLock lock(&pass_mu_);
  AuditRetentionPassResult result;
  if (options_.retention == absl::InfiniteDuration()) return result;
  if (absl::Status s = ValidateAuditRetention(options_.retention); !s.ok()) {
    return s;
  }
  const absl::Time elapsed = Elapsed();
  const absl::Time wall_cutoff = clock_.Now() - options_.retention;
  result.cutoff = wall_cutoff;
  if (!anchor_.has_value()) {
    anchor_ = Anchor{wall_cutoff, elapsed};
  } else {
    const absl::Time projected = anchor_->cutoff + (elapsed - anchor_->elapsed);
    if (wall_cutoff > projected + options_.clock_step_tolerance) {
      result.cutoff = projected;
      result.cutoff_held_back = true;
    } else if (wall_cutoff >= projected - options_.clock_step_tolerance) {
      // The clock agrees with the time elapsed: trust it from here, which
      // also absorbs the slow drift between the two clocks.
      anchor_ = Anchor{wall_cutoff, elapsed};
    }
  }

  const int64_t before_micros = absl::ToUnixMicros(result.cutoff);
  while (!stop_.HasBeenNotified()) {
    if (result.batches >= options_.max_batches_per_pass) {
      result.more_left = true;
      break;
    }
    absl::StatusOr<storage::AuditPurgeBatch> batch =
        store_.PurgeAuditEvents(before_micros, options_.batch_size);
    if (!batch.ok()) return batch.status();
    if (batch->found == 0) break;
    ++result.batches;
    result.events_deleted += batch->deleted;
    events_deleted_.fetch_add(batch->deleted);
  }
  return result;
}

}  // namespace identity::auth
