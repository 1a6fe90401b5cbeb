#ifndef IDENTITY_SERVICE_WORKER_POOL_H_
#define IDENTITY_SERVICE_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace identity::service {

// A fixed set of threads for the slow parts of calls (Argon2, synced writes),
// so gRPC's reaction threads never block. The queue is bounded: when it is
// full, TrySubmit refuses at once and the caller answers RESOURCE_EXHAUSTED,
// instead of letting latency and memory grow without limit. Thread-safe.
class WorkerPool {
 public:
  // `nice`: the CPU priority of the pool's threads relative to the rest of
  // the process (Linux nice, 0 to 19; higher yields more), so that
  // CPU-heavy work can be made to give way to cheap calls.
  WorkerPool(int threads, size_t max_queued, int nice = 0);
  // Runs every task already accepted, then joins the threads.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` unless the queue is full or the pool is stopping.
  bool TrySubmit(std::function<void()> task);

  size_t queued() const;
  size_t rejected() const;

 private:
  void Work();

  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_WORKER_POOL_H_
