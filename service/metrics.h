#ifndef IDENTITY_SERVICE_METRICS_H_
#define IDENTITY_SERVICE_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/records.pb.h"

namespace identity::service {

// What identityd counts for Prometheus (prometheus-cpp). Two kinds:
// - events the service layer sees as they happen (calls, their codes and
//   latency; committed audit events), counted here;
// - values other parts already keep (queue depths, pool rejections, Argon2
//   verifications), read when scraped through the functions given to
//   AddGauge/AddCounter, so those parts need not know about Prometheus.
// Thread-safe.
class ServerMetrics {
 public:
  ServerMetrics();

  // A finished call: identity_rpcs_total{method,code} and
  // identity_rpc_duration_seconds{method}.
  void RecordCall(absl::string_view method, absl::StatusCode code,
                  absl::Duration latency);
  // A VerifySignature verdict: identity_signature_verifications_total
  // {version, result}, result being "valid", the S3/OBS error code, or
  // "error" for a call answered with a gRPC error.
  void RecordSignatureVerification(absl::string_view version,
                                   absl::string_view result);
  // A committed audit event: keys created and deleted, users locked.
  void RecordAuditEvent(const storage::AuditEventRecord& event);

  // Values read at scrape time. `labels` are name/value pairs.
  using Labels = std::vector<std::pair<std::string, std::string>>;
  void AddGauge(std::string name, std::string help, Labels labels,
                std::function<double()> read);
  void AddCounter(std::string name, std::string help, Labels labels,
                  std::function<double()> read);

  // Everything above, for prometheus::Exposer::RegisterCollectable.
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables() const;

  // The text exposition format of every metric: what GET /metrics serves.
  std::string Serialize() const;

 private:
  class ReadAtScrape;
  // One method's series, found once: prometheus::Family::Add builds and
  // hashes a label map on every call, which showed as several percent of
  // a cheap call's cost.
  struct MethodSeries {
    prometheus::Histogram* duration = nullptr;
    // By absl::StatusCode (0-16); null until that code is first seen.
    std::array<std::atomic<prometheus::Counter*>, 17> calls{};
  };
  MethodSeries& SeriesFor(absl::string_view method);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ReadAtScrape> read_at_scrape_;
  prometheus::Family<prometheus::Counter>& rpcs_;
  prometheus::Family<prometheus::Histogram>& rpc_duration_;
  prometheus::Counter& keys_created_;
  prometheus::Counter& keys_deleted_;
  prometheus::Counter& lockouts_;
  prometheus::Family<prometheus::Counter>& signature_verifications_;
  // Found once per (version, result), as for the methods' series.
  absl::Mutex verdicts_mu_;
  absl::flat_hash_map<std::string, prometheus::Counter*> verdict_series_
      ABSL_GUARDED_BY(verdicts_mu_);
  absl::Mutex series_mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> series_
      ABSL_GUARDED_BY(series_mu_);
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_METRICS_H_
