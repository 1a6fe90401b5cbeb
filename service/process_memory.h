#ifndef IDENTITY_SERVICE_PROCESS_MEMORY_H_
#define IDENTITY_SERVICE_PROCESS_MEMORY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace identity::service {

// The CPUs this process may run on: its affinity mask, lowered to a cgroup
// v2 CPU quota (cpu.max) where one is set. std::thread::hardware_concurrency
// and gRPC count the machine's CPUs, which in a container limited to 2 of
// 64 would size every pool (and glibc's 8-per-CPU malloc arenas) 32 times
// too large.
int AvailableCpus();

// Sets glibc's allocator up for a long-running server whose memory must go
// back near its base after a flood (issue 12): at most 2 arenas per
// available CPU (glibc's default of 8 per configured CPU lets freed memory
// sit in dozens of per-thread arenas), and no transparent huge pages for
// this process (Debian's default is THP "always": every arena and thread
// stack then holds 2 MiB pages that a few live bytes keep resident).
// Call once, first thing in main(), before threads start.
void ConfigureAllocatorForServer();

// Hands freed heap pages back to the kernel (glibc's malloc_trim) from its
// own thread, at most once a `interval`, when `churned` says enough work was
// done and undone since the last time (many connections opened and closed).
// Without it, the memory a connection flood made gRPC allocate stays
// resident after the flood ends, in the free lists of each arena.
class MemoryReturner {
 public:
  // `churn` returns a count that only grows (connections accepted, say);
  // a trim runs when it grew by at least `threshold` since the last trim.
  MemoryReturner(std::function<uint64_t()> churn, uint64_t threshold,
                 absl::Duration interval);
  ~MemoryReturner();

  // Trims done so far (for tests).
  uint64_t trims() const;

 private:
  void Run(uint64_t trimmed_at);

  const std::function<uint64_t()> churn_;
  const uint64_t threshold_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::atomic<uint64_t> trims_{0};
  std::thread thread_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_PROCESS_MEMORY_H_
