#ifndef IDENTITY_SERVICE_CALL_RUNNER_H_
#define IDENTITY_SERVICE_CALL_RUNNER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "auth/principal.h"
#include "service/logger.h"
#include "service/worker_pool.h"

namespace identity::service {

// Serves unary calls the way every handler here must: parse the caller's
// credentials on the reaction thread (cheap), run the handler's work on the
// worker pool (Argon2 and synced writes are slow), finish the reactor with
// the mapped status, and write one access-log line. A full pool answers
// RESOURCE_EXHAUSTED at once; a call already cancelled or past its deadline
// when its turn comes is not worked on. Thread-safe.
class CallRunner {
 public:
  using Work = std::function<absl::Status(const auth::Credentials&)>;

  CallRunner(WorkerPool& pool, Logger& logger) : pool_(pool), logger_(logger) {}

  // `method` must outlive the call (a string literal).
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                                absl::string_view method, Work work);

  // Calls handed to the worker pool so far (for tests and metrics).
  uint64_t calls_accepted() const { return calls_accepted_.load(); }

 private:
  std::atomic<uint64_t> calls_accepted_{0};
  WorkerPool& pool_;
  Logger& logger_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_CALL_RUNNER_H_
