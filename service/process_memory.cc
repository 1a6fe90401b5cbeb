#include "service/process_memory.h"

#include <malloc.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

namespace identity::service {
namespace {

// The cgroup v2 quota of this process's group in CPUs, rounded up; 0 when
// there is none (or no cgroup v2).
int CgroupCpuQuota() {
  std::ifstream group("/proc/self/cgroup");
  std::string line;
  std::string path;
  while (std::getline(group, line)) {
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  }
  if (path.empty()) return 0;
  std::ifstream max("/sys/fs/cgroup" + path + "/cpu.max");
  std::string quota;
  double period = 0;
  if (!(max >> quota >> period) || quota == "max" || period <= 0) return 0;
  try {
    return static_cast<int>(std::ceil(std::stod(quota) / period));
  } catch (...) {
    return 0;
  }
}

}  // namespace

int AvailableCpus() {
  int cpus = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = CPU_COUNT(&set);
  const int quota = CgroupCpuQuota();
  if (quota > 0) cpus = std::min(cpus, quota);
  return std::max(1, cpus);
}

void ConfigureAllocatorForServer() {
  mallopt(M_ARENA_MAX, 2 * AvailableCpus());
  prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
}

MemoryReturner::MemoryReturner(std::function<uint64_t()> churn,
                               uint64_t threshold, absl::Duration interval)
    : churn_(std::move(churn)),
      threshold_(threshold),
      interval_(interval),
      // Read here, not on the thread: churn from now on counts.
      thread_([this, start = churn_()] { Run(start); }) {}

MemoryReturner::~MemoryReturner() {
  stop_.Notify();
  thread_.join();
}

uint64_t MemoryReturner::trims() const { return trims_.load(); }

void MemoryReturner::Run(uint64_t trimmed_at) {
  // One more trim in the first quiet interval after a busy one: what the
  // last closed connections held is freed after the trim that saw them.
  bool trailing = false;
  while (!stop_.WaitForNotificationWithTimeout(interval_)) {
    const uint64_t now = churn_();
    const bool busy = now - trimmed_at >= threshold_;
    if (!busy && !trailing) continue;
    trailing = busy;
    trimmed_at = now;
    malloc_trim(0);
    trims_.fetch_add(1);
  }
}

}  // namespace identity::service
