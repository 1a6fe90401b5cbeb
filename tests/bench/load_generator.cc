#include "load_generator.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace identity::bench {
namespace {

// What every slot shares while a load runs.
struct Run {
  const StartCall* start = nullptr;
  absl::Time measure_from;
  absl::Time stop_at;
  absl::Mutex mu;
  std::vector<double> latencies_ms ABSL_GUARDED_BY(mu);
  std::map<std::string, int64_t> by_code ABSL_GUARDED_BY(mu);
  std::atomic<int> running{0};
  absl::Notification all_done;
};

void Issue(const std::shared_ptr<Run>& run, int slot) {
  const absl::Time started = absl::Now();
  (*run->start)(slot, [run, slot, started](grpc::Status status) {
    const absl::Time now = absl::Now();
    if (started >= run->measure_from && now <= run->stop_at) {
      absl::MutexLock lock(&run->mu);
      run->latencies_ms.push_back(absl::ToDoubleMilliseconds(now - started));
      ++run->by_code[CodeName(status.error_code())];
    }
    if (now < run->stop_at) {
      Issue(run, slot);
    } else if (--run->running == 0) {
      run->all_done.Notify();
    }
  });
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t index =
      std::min(sorted.size() - 1,
               static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[index];
}

std::atomic<int64_t> calls_in_flight{0};

}  // namespace

CallInFlight::CallInFlight() { ++calls_in_flight; }
CallInFlight::~CallInFlight() { --calls_in_flight; }

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index < 0 || index > 16) return absl::StrCat("CODE_", index);
  return kNames[index];
}

LoadReport RunLoad(const std::string& name, const LoadOptions& options,
                   const StartCall& start) {
  auto run = std::make_shared<Run>();
  run->start = &start;
  const absl::Time begin = absl::Now();
  run->measure_from = begin + options.warmup;
  run->stop_at = run->measure_from + options.duration;
  run->running = options.concurrency;
  for (int slot = 0; slot < options.concurrency; ++slot) Issue(run, slot);
  run->all_done.WaitForNotification();
  // The last callbacks have run; their call state may still be on its way
  // out. Bounded: a call state that never goes is reported by gRPC itself.
  for (int i = 0; i < 5000 && calls_in_flight.load() > 0; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }

  LoadReport report;
  report.name = name;
  absl::MutexLock lock(&run->mu);
  std::sort(run->latencies_ms.begin(), run->latencies_ms.end());
  report.calls = static_cast<int64_t>(run->latencies_ms.size());
  report.requests_per_second = static_cast<double>(report.calls) /
                               absl::ToDoubleSeconds(options.duration);
  report.p50_ms = Percentile(run->latencies_ms, 0.50);
  report.p99_ms = Percentile(run->latencies_ms, 0.99);
  report.p999_ms = Percentile(run->latencies_ms, 0.999);
  report.by_code = run->by_code;
  return report;
}

std::string LoadReport::ToJson() const {
  std::string codes;
  for (const auto& [code, count] : by_code) {
    absl::StrAppend(&codes, codes.empty() ? "" : ",", "\"", code, "\":", count);
  }
  return absl::StrFormat(
      "{\"name\":\"%s\",\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
      "\"p999_ms\":%.3f,\"calls\":%d,\"codes\":{%s}}",
      name, requests_per_second, p50_ms, p99_ms, p999_ms, calls, codes);
}

}  // namespace identity::bench
