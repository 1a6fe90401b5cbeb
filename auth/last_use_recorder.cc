#include "auth/last_use_recorder.h"

#include <utility>
#include <vector>

#include "absl/time/clock.h"

namespace identity::auth {

LastUseRecorder::LastUseRecorder(storage::Store& store, const Clock& clock,
                                 LastUseRecorderOptions options)
    : store_(store), clock_(clock), options_(options) {
  thread_ = std::thread([this] { RunUntilStopped(); });
}

LastUseRecorder::~LastUseRecorder() {
  stop_.Notify();
  thread_.join();
}

void LastUseRecorder::Record(absl::string_view access_key_id,
                             absl::string_view service,
                             absl::string_view region) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = pending_.find(access_key_id);
  if (it == pending_.end()) {
    if (pending_.size() >= options_.max_pending) {
      ++dropped_;
      return;
    }
    pending_.emplace(std::string(access_key_id),
                     Use{now, std::string(service), std::string(region)});
    return;
  }
  Use& use = it->second;
  use.time = now;
  if (use.service != service) use.service = std::string(service);
  if (use.region != region) use.region = std::string(region);
}

void LastUseRecorder::Flush() { FlushPending(/*held_back_too=*/false); }

void LastUseRecorder::FlushPending(bool held_back_too) {
  absl::MutexLock flush_lock(&flush_mu_);
  const absl::Time now = clock_.Now();
  std::vector<std::pair<std::string, Use>> due;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = written_.begin(); it != written_.end();) {
      auto next = std::next(it);
      if (now - it->second >= options_.min_write_interval) {
        written_.erase(it);
      }
      it = next;
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto next = std::next(it);
      if (held_back_too || !written_.contains(it->first)) {
        written_[it->first] = now;
        due.emplace_back(it->first, std::move(it->second));
        pending_.erase(it);
      }
      it = next;
    }
  }
  for (const auto& [access_key_id, use] : due) {
    const int64_t micros = absl::ToUnixMicros(use.time);
    absl::StatusOr<storage::AccessKeyRecord> updated = store_.UpdateAccessKey(
        access_key_id,
        [&use = use, micros](storage::AccessKeyRecord& record) {
          if (record.last_used_time_micros() < micros) {
            record.set_last_used_time_micros(micros);
            record.set_last_used_service(use.service);
            record.set_last_used_region(use.region);
          }
          return absl::OkStatus();
        },
        /*audit=*/{});
    // A key deleted meanwhile has nothing to record; a storage fault loses
    // this use, as a crash would.
    absl::MutexLock lock(&mu_);
    if (updated.ok()) ++writes_;
  }
}

uint64_t LastUseRecorder::writes() const {
  absl::MutexLock lock(&mu_);
  return writes_;
}

uint64_t LastUseRecorder::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

void LastUseRecorder::RunUntilStopped() {
  while (!stop_.WaitForNotificationWithTimeout(options_.flush_interval)) {
    Flush();
  }
  // Stopping: what the minute's coalescing held back is written too, or a
  // restart would lose up to a minute of last use of every busy key.
  FlushPending(/*held_back_too=*/true);
}

}  // namespace identity::auth
