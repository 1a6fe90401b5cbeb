#ifndef IDENTITY_SERVICE_STORE_HEALTH_MONITOR_H_
#define IDENTITY_SERVICE_STORE_HEALTH_MONITOR_H_

#include <grpcpp/health_check_service_interface.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "service/logger.h"
#include "storage/store.h"

namespace identity::service {

// Keeps gRPC's Health answer true to the store: NOT_SERVING (overall and
// for every service named) while Store::CheckWritable() fails, which also
// resumes the store once the fault is gone; SERVING again after. If the
// store stays unwritable for `give_up_after`, calls `on_unrecoverable` (the
// daemon logs and exits so its supervisor restarts it).
//
// One thread, checking every `interval`; stops when destroyed.
class StoreHealthMonitor {
 public:
  StoreHealthMonitor(storage::Store& store,
                     grpc::HealthCheckServiceInterface& health,
                     std::vector<std::string> services, absl::Duration interval,
                     absl::Duration give_up_after,
                     std::function<void()> on_unrecoverable, Logger& logger);
  ~StoreHealthMonitor();

  StoreHealthMonitor(const StoreHealthMonitor&) = delete;
  StoreHealthMonitor& operator=(const StoreHealthMonitor&) = delete;

 private:
  void Run();
  void SetServing(bool serving);

  storage::Store& store_;
  grpc::HealthCheckServiceInterface& health_;
  const std::vector<std::string> services_;
  const absl::Duration interval_;
  const absl::Duration give_up_after_;
  const std::function<void()> on_unrecoverable_;
  Logger& logger_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_STORE_HEALTH_MONITOR_H_
