#ifndef IDENTITY_TESTS_BENCH_LOAD_GENERATOR_H_
#define IDENTITY_TESTS_BENCH_LOAD_GENERATOR_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace identity::bench {

struct LoadOptions {
  // Calls kept in flight at all times (a closed loop: each completion
  // starts the next call).
  int concurrency = 16;
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(10);
};

struct LoadReport {
  std::string name;
  double requests_per_second = 0;
  // Latency percentiles of the measured (post-warm-up) calls.
  double p50_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  int64_t calls = 0;
  // Calls by status code name ("OK", "RESOURCE_EXHAUSTED", ...).
  std::map<std::string, int64_t> by_code;

  std::string ToJson() const;
};

// Starts one asynchronous call (slot `slot`, numbered from 0 to
// concurrency-1) and runs `done` with its status when it completes; `done`
// may be run on any thread.
using StartCall =
    std::function<void(int slot, std::function<void(grpc::Status)> done)>;

// A member of each call's state, declared first so that it is destroyed
// last, after the call's ClientContext: RunLoad returns only once every
// call it started is gone, so that a caller may then destroy the stub and
// channel (destroying a ClientContext after its channel trips gRPC's
// reference-count assertion).
class CallInFlight {
 public:
  CallInFlight();
  ~CallInFlight();
  CallInFlight(const CallInFlight&) = delete;
  CallInFlight& operator=(const CallInFlight&) = delete;
};

// Runs a closed-loop load: `concurrency` slots each issuing calls back to
// back through `start`, for the warm-up and then the measured duration.
LoadReport RunLoad(const std::string& name, const LoadOptions& options,
                   const StartCall& start);

// gRPC status code names as in the spec ("DEADLINE_EXCEEDED").
std::string CodeName(grpc::StatusCode code);

}  // namespace identity::bench

#endif  // IDENTITY_TESTS_BENCH_LOAD_GENERATOR_H_
