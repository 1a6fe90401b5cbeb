#include "service/server_process.h"

#include "absl/synchronization/mutex.h"
#include "service/process_memory.h"

namespace identity::service {

void ConfigureServerProcess() {
  ConfigureAllocatorForServer();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace identity::service
