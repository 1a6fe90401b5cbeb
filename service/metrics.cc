#include "service/metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace identity::service {
namespace {

// From half a millisecond (a session read) to five seconds (a queue of
// Argon2 checks): the range where this service's latencies live.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,  0.5,    1,     2.5,  5};
  return *buckets;
}

}  // namespace

// Families whose values are read from elsewhere when Prometheus scrapes.
class ServerMetrics::ReadAtScrape : public prometheus::Collectable {
 public:
  void Add(std::string name, std::string help, prometheus::MetricType type,
           Labels labels, std::function<double()> read) {
    absl::MutexLock lock(&mu_);
    entries_.push_back(Entry{std::move(name), std::move(help), type,
                             std::move(labels), std::move(read)});
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    absl::MutexLock lock(&mu_);
    std::vector<prometheus::MetricFamily> families;
    for (const Entry& entry : entries_) {
      // Entries of one name (one per label set) share a family: the text
      // format allows one TYPE line per name.
      auto family = std::find_if(families.begin(), families.end(),
                                 [&](const prometheus::MetricFamily& f) {
                                   return f.name == entry.name;
                                 });
      if (family == families.end()) {
        family = families.insert(
            families.end(),
            prometheus::MetricFamily{entry.name, entry.help, entry.type, {}});
      }
      prometheus::ClientMetric metric;
      for (const auto& [name, value] : entry.labels) {
        metric.label.push_back({name, value});
      }
      const double value = entry.read();
      if (entry.type == prometheus::MetricType::Counter) {
        metric.counter.value = value;
      } else {
        metric.gauge.value = value;
      }
      family->metric.push_back(std::move(metric));
    }
    return families;
  }

 private:
  struct Entry {
    std::string name;
    std::string help;
    prometheus::MetricType type;
    Labels labels;
    std::function<double()> read;
  };
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      read_at_scrape_(std::make_shared<ReadAtScrape>()),
      rpcs_(prometheus::BuildCounter()
                .Name("identity_rpcs_total")
                .Help("Finished calls by method and gRPC status code.")
                .Register(*registry_)),
      rpc_duration_(prometheus::BuildHistogram()
                        .Name("identity_rpc_duration_seconds")
                        .Help("Time from a call's arrival to its answer, by "
                              "method, queueing included.")
                        .Register(*registry_)),
      keys_created_(prometheus::BuildCounter()
                        .Name("identity_access_keys_created_total")
                        .Help("Access keys created (committed).")
                        .Register(*registry_)
                        .Add({})),
      keys_deleted_(
          prometheus::BuildCounter()
              .Name("identity_access_keys_deleted_total")
              .Help("Access keys deleted by DeleteAccessKey (committed); "
                    "keys removed with their user are not counted.")
              .Register(*registry_)
              .Add({})),
      lockouts_(prometheus::BuildCounter()
                    .Name("identity_user_lockouts_total")
                    .Help("User names locked after repeated failed sign-ins.")
                    .Register(*registry_)
                    .Add({})),
      signature_verifications_(
          prometheus::BuildCounter()
              .Name("identity_signature_verifications_total")
              .Help("VerifySignature verdicts by signature version and "
                    "result (valid, an S3/OBS error code, or error).")
              .Register(*registry_)) {}

void ServerMetrics::RecordSignatureVerification(absl::string_view version,
                                                absl::string_view result) {
  const std::string key = absl::StrCat(version, "/", result);
  {
    absl::ReaderMutexLock lock(&verdicts_mu_);
    auto it = verdict_series_.find(key);
    if (it != verdict_series_.end()) {
      it->second->Increment();
      return;
    }
  }
  absl::MutexLock lock(&verdicts_mu_);
  prometheus::Counter*& counter = verdict_series_[key];
  if (counter == nullptr) {
    counter = &signature_verifications_.Add(
        {{"version", std::string(version)}, {"result", std::string(result)}});
  }
  counter->Increment();
}

ServerMetrics::MethodSeries& ServerMetrics::SeriesFor(
    absl::string_view method) {
  {
    absl::ReaderMutexLock lock(&series_mu_);
    auto it = series_.find(method);
    if (it != series_.end()) return *it->second;
  }
  absl::MutexLock lock(&series_mu_);
  std::unique_ptr<MethodSeries>& series = series_[method];
  if (series == nullptr) {
    series = std::make_unique<MethodSeries>();
    series->duration =
        &rpc_duration_.Add({{"method", std::string(method)}}, LatencyBuckets());
  }
  return *series;
}

void ServerMetrics::RecordCall(absl::string_view method, absl::StatusCode code,
                               absl::Duration latency) {
  MethodSeries& series = SeriesFor(method);
  series.duration->Observe(absl::ToDoubleSeconds(latency));
  const size_t index = static_cast<size_t>(code);
  prometheus::Counter* calls =
      index < series.calls.size()
          ? series.calls[index].load(std::memory_order_acquire)
          : nullptr;
  if (calls == nullptr) {
    // Add returns the same counter for the same labels, so two threads
    // racing here store the same pointer.
    calls = &rpcs_.Add({{"method", std::string(method)},
                        {"code", absl::StatusCodeToString(code)}});
    if (index < series.calls.size()) {
      series.calls[index].store(calls, std::memory_order_release);
    }
  }
  calls->Increment();
}

void ServerMetrics::RecordAuditEvent(const storage::AuditEventRecord& event) {
  switch (event.type()) {
    case storage::AuditEventRecord::ACCESS_KEY_CREATED:
      keys_created_.Increment();
      break;
    case storage::AuditEventRecord::ACCESS_KEY_DELETED:
      keys_deleted_.Increment();
      break;
    case storage::AuditEventRecord::USER_LOCKED:
      lockouts_.Increment();
      break;
    default:
      break;
  }
}

void ServerMetrics::AddGauge(std::string name, std::string help, Labels labels,
                             std::function<double()> read) {
  read_at_scrape_->Add(std::move(name), std::move(help),
                       prometheus::MetricType::Gauge, std::move(labels),
                       std::move(read));
}

void ServerMetrics::AddCounter(std::string name, std::string help,
                               Labels labels, std::function<double()> read) {
  read_at_scrape_->Add(std::move(name), std::move(help),
                       prometheus::MetricType::Counter, std::move(labels),
                       std::move(read));
}

std::vector<std::weak_ptr<prometheus::Collectable>>
ServerMetrics::collectables() const {
  return {registry_, read_at_scrape_};
}

std::string ServerMetrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (prometheus::MetricFamily& family : read_at_scrape_->Collect()) {
    families.push_back(std::move(family));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace identity::service
