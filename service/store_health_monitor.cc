#include "service/store_health_monitor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace identity::service {

StoreHealthMonitor::StoreHealthMonitor(
    storage::Store& store, grpc::HealthCheckServiceInterface& health,
    std::vector<std::string> services, absl::Duration interval,
    absl::Duration give_up_after, std::function<void()> on_unrecoverable,
    Logger& logger)
    : store_(store),
      health_(health),
      services_(std::move(services)),
      interval_(interval),
      give_up_after_(give_up_after),
      on_unrecoverable_(std::move(on_unrecoverable)),
      logger_(logger),
      thread_([this] { Run(); }) {}

StoreHealthMonitor::~StoreHealthMonitor() {
  stop_.Notify();
  thread_.join();
}

void StoreHealthMonitor::SetServing(bool serving) {
  health_.SetServingStatus(serving);
  for (const std::string& name : services_) {
    health_.SetServingStatus(name, serving);
  }
}

void StoreHealthMonitor::Run() {
  bool writable = true;
  absl::Time unwritable_since;
  bool gave_up = false;
  while (!stop_.WaitForNotificationWithTimeout(interval_)) {
    const absl::Status status = store_.CheckWritable();
    if (status.ok() && !writable) {
      writable = true;
      SetServing(true);
      logger_.Notice(
          "store_writable_again",
          {{"unwritable_for_ms", absl::StrCat(absl::ToInt64Milliseconds(
                                     absl::Now() - unwritable_since))}});
    } else if (!status.ok() && writable) {
      writable = false;
      unwritable_since = absl::Now();
      SetServing(false);
      logger_.Error("store_unwritable",
                    {{"error", std::string(status.message())},
                     {"message",
                      "health is NOT_SERVING until the store takes writes "
                      "again"}});
    } else if (!status.ok() && !gave_up && on_unrecoverable_ != nullptr &&
               absl::Now() - unwritable_since >= give_up_after_) {
      gave_up = true;
      logger_.Error(
          "store_unrecoverable",
          {{"error", std::string(status.message())},
           {"unwritable_for_ms", absl::StrCat(absl::ToInt64Milliseconds(
                                     absl::Now() - unwritable_since))},
           {"message", "the store did not resume; exiting for a restart"}});
      on_unrecoverable_();
    }
  }
}

}  // namespace identity::service
