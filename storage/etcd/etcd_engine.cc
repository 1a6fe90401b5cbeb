#include "storage/etcd/etcd_engine.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "storage/kv_store.h"

namespace identity::storage {
namespace {

namespace pb = etcdserverpb;

// A body that keeps losing its compares is run this many times, then the
// caller is told the store is busy.
constexpr int kMaxTransactionAttempts = 32;

std::chrono::system_clock::time_point ToChrono(absl::Time t) {
  return absl::ToChronoTime(t);
}

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  const std::string message =
      absl::StrCat("storage: etcd ", what, ": ", status.error_message());
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::OUT_OF_RANGE:  // the revision was compacted
      return ConflictError(message);
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::InternalError(message);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::PermissionDeniedError(message);
    default:  // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (quota)...
      return absl::UnavailableError(message);
  }
}

// Worth asking another member: the call certainly did nothing, or it was a
// read.
bool IsTransportFailure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", what, " ", path));
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string StripScheme(absl::string_view endpoint) {
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWith(endpoint, scheme))
      endpoint.remove_prefix(scheme.size());
  }
  return std::string(endpoint);
}

// The members and the one currently used. Reads fail over; a Txn goes to a
// member whose channel is connected and is never sent twice.
class EtcdClient {
 public:
  static absl::StatusOr<std::unique_ptr<EtcdClient>> New(
      const EtcdEngineOptions& options) {
    if (options.endpoints.empty()) {
      return absl::InvalidArgumentError("etcd: no endpoints");
    }
    std::shared_ptr<grpc::ChannelCredentials> credentials =
        grpc::InsecureChannelCredentials();
    if (options.cert_file.empty() != options.key_file.empty()) {
      return absl::InvalidArgumentError(
          "--etcd_cert and --etcd_key go together");
    }
    if (!options.ca_file.empty()) {
      grpc::SslCredentialsOptions ssl;
      absl::StatusOr<std::string> ca = ReadFile(options.ca_file, "--etcd_ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *std::move(ca);
      if (!options.cert_file.empty()) {
        absl::StatusOr<std::string> cert =
            ReadFile(options.cert_file, "--etcd_cert");
        if (!cert.ok()) return cert.status();
        absl::StatusOr<std::string> key =
            ReadFile(options.key_file, "--etcd_key");
        if (!key.ok()) return key.status();
        ssl.pem_cert_chain = *std::move(cert);
        ssl.pem_private_key = *std::move(key);
      }
      credentials = grpc::SslCredentials(ssl);
    } else if (!options.cert_file.empty()) {
      return absl::InvalidArgumentError("--etcd_cert needs --etcd_ca");
    }
    std::unique_ptr<EtcdClient> client(new EtcdClient(options));
    for (const std::string& endpoint : options.endpoints) {
      grpc::ChannelArguments args;
      // Reconnect to a member that comes back within a second or two.
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
      args.SetMaxReceiveMessageSize(64 << 20);
      std::shared_ptr<grpc::Channel> channel =
          grpc::CreateCustomChannel(StripScheme(endpoint), credentials, args);
      client->channels_.push_back(channel);
      client->stubs_.push_back(pb::KV::NewStub(channel));
    }
    return client;
  }

  absl::StatusOr<pb::RangeResponse> Range(const pb::RangeRequest& request) {
    const absl::Time deadline = absl::Now() + options_.operation_timeout;
    grpc::Status last(grpc::StatusCode::UNAVAILABLE, "no member reachable");
    for (int attempt = 0; absl::Now() < deadline; ++attempt) {
      const size_t member = Pick(deadline);
      grpc::ClientContext context;
      context.set_deadline(
          ToChrono(std::min(deadline, absl::Now() + options_.rpc_timeout)));
      pb::RangeResponse response;
      last = stubs_[member]->Range(&context, request, &response);
      if (last.ok()) return response;
      if (!IsTransportFailure(last)) break;
      Rotate(member);
      if (attempt > 0) absl::SleepFor(absl::Milliseconds(50));
    }
    return FromGrpc(last, "range");
  }

  // Sent once. Unavailable when the outcome is unknown.
  absl::StatusOr<pb::TxnResponse> Txn(const pb::TxnRequest& request) {
    const absl::Time deadline = absl::Now() + options_.rpc_timeout;
    const size_t member = Pick(deadline);
    grpc::ClientContext context;
    context.set_deadline(ToChrono(deadline));
    pb::TxnResponse response;
    grpc::Status status = stubs_[member]->Txn(&context, request, &response);
    if (status.ok()) return response;
    if (IsTransportFailure(status)) Rotate(member);
    return FromGrpc(status, "txn");
  }

 private:
  explicit EtcdClient(const EtcdEngineOptions& options) : options_(options) {}

  // The current member if its channel is connected (or connects soon),
  // else the next one that is; the current one when none is.
  size_t Pick(absl::Time deadline) {
    const size_t n = channels_.size();
    const size_t first = current_.load() % n;
    const absl::Duration probe = absl::Milliseconds(n > 1 ? 200 : 1000);
    for (size_t i = 0; i < n; ++i) {
      const size_t member = (first + i) % n;
      grpc_connectivity_state state = channels_[member]->GetState(true);
      if (state == GRPC_CHANNEL_READY) return member;
      if (state != GRPC_CHANNEL_TRANSIENT_FAILURE &&
          channels_[member]->WaitForConnected(
              ToChrono(std::min(deadline, absl::Now() + probe)))) {
        return member;
      }
    }
    return first;
  }

  void Rotate(size_t failed) {
    size_t expected = failed;
    current_.compare_exchange_strong(expected, (failed + 1) % channels_.size());
  }

  const EtcdEngineOptions options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<pb::KV::Stub>> stubs_;
  std::atomic<size_t> current_{0};
};

// Maps space-relative keys to etcd keys and back.
class KeyMapper {
 public:
  explicit KeyMapper(std::string prefix) : prefix_(std::move(prefix)) {}

  std::string Key(absl::string_view space, absl::string_view key) const {
    return absl::StrCat(prefix_, space, "/", key);
  }
  // The etcd range of `range` in `space`.
  std::pair<std::string, std::string> Range(absl::string_view space,
                                            const KeyRange& range) const {
    const std::string base = Key(space, "");
    return {base + range.start,
            range.end.empty() ? PrefixEnd(base) : base + range.end};
  }
  std::string Strip(absl::string_view space, const std::string& key) const {
    return key.substr(prefix_.size() + space.size() + 1);
  }

 private:
  const std::string prefix_;
};

// Reads at one revision: the first read's (the latest, linearizable), so
// everything a reader returns is one snapshot.
class EtcdSnapshot {
 public:
  EtcdSnapshot(EtcdClient& client, const KeyMapper& keys)
      : client_(client), keys_(keys) {}

  // The value and mod_revision of `key` (nullopt, 0 when absent).
  absl::StatusOr<std::pair<std::optional<std::string>, int64_t>> Get(
      const std::string& key) {
    // One revision: a key read twice reads the same, so the first answer
    // serves both.
    if (auto cached = cache_.find(key); cached != cache_.end()) {
      return cached->second;
    }
    pb::RangeRequest request;
    request.set_key(key);
    absl::StatusOr<pb::RangeResponse> response = Read(request);
    if (!response.ok()) return response.status();
    std::pair<std::optional<std::string>, int64_t> read(std::nullopt, 0);
    if (response->kvs_size() > 0) {
      read = {response->kvs(0).value(), response->kvs(0).mod_revision()};
    }
    cache_[key] = read;
    return read;
  }

  absl::StatusOr<std::vector<KeyValue>> Scan(absl::string_view space,
                                             const KeyRange& range, int limit,
                                             bool reverse) {
    std::vector<KeyValue> out;
    if (limit <= 0) return out;
    // Named copies: C++17 lambdas cannot capture structured bindings.
    const auto bounds = keys_.Range(space, range);
    const std::string start = bounds.first;
    const std::string end = bounds.second;
    pb::RangeRequest request;
    request.set_key(start);
    request.set_range_end(end);
    if (limit != std::numeric_limits<int>::max()) request.set_limit(limit);
    if (reverse) {
      request.set_sort_order(pb::RangeRequest::DESCEND);
      request.set_sort_target(pb::RangeRequest::KEY);
    }
    absl::StatusOr<pb::RangeResponse> response = Read(request);
    if (!response.ok()) return response.status();
    out.reserve(response->kvs_size());
    for (const mvccpb::KeyValue& kv : response->kvs()) {
      out.push_back({keys_.Strip(space, kv.key()), kv.value()});
    }
    return out;
  }

  int64_t revision() const { return revision_; }

 private:
  absl::StatusOr<pb::RangeResponse> Read(pb::RangeRequest& request) {
    request.set_revision(revision_);
    absl::StatusOr<pb::RangeResponse> response = client_.Range(request);
    if (response.ok() && revision_ == 0) {
      revision_ = response->header().revision();
    }
    return response;
  }

  EtcdClient& client_;
  const KeyMapper& keys_;
  int64_t revision_ = 0;
  std::map<std::string, std::pair<std::optional<std::string>, int64_t>> cache_;
};

class EtcdReader final : public KvReader {
 public:
  EtcdReader(EtcdClient& client, const KeyMapper& keys)
      : keys_(keys), snapshot_(client, keys) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view space, absl::string_view key) override {
    auto read = snapshot_.Get(keys_.Key(space, key));
    if (!read.ok()) return read.status();
    return read->first;
  }
  absl::StatusOr<std::vector<KeyValue>> Scan(absl::string_view space,
                                             const KeyRange& range, int limit,
                                             bool reverse) override {
    return snapshot_.Scan(space, range, limit, reverse);
  }

 private:
  const KeyMapper& keys_;
  EtcdSnapshot snapshot_;
};

// Buffers the writes until Commit; reads see them on top of the snapshot.
class EtcdTransaction final : public KvTransaction {
 public:
  EtcdTransaction(EtcdClient& client, const KeyMapper& keys, int max_ops)
      : client_(client),
        keys_(keys),
        snapshot_(client, keys),
        max_ops_(max_ops) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view space, absl::string_view key) override {
    const std::string full = keys_.Key(space, key);
    if (std::optional<std::optional<std::string>> own = Own(full)) return *own;
    auto read = snapshot_.Get(full);
    if (!read.ok()) return read.status();
    return read->first;
  }

  absl::StatusOr<std::optional<std::string>> GetForUpdate(
      absl::string_view space, absl::string_view key) override {
    const std::string full = keys_.Key(space, key);
    auto read = snapshot_.Get(full);
    if (!read.ok()) return read.status();
    guards_.emplace(full, read->second);
    if (std::optional<std::optional<std::string>> own = Own(full)) return *own;
    return read->first;
  }

  absl::StatusOr<std::vector<KeyValue>> Scan(absl::string_view space,
                                             const KeyRange& range, int limit,
                                             bool reverse) override {
    // Named copies: C++17 lambdas cannot capture structured bindings.
    const auto bounds = keys_.Range(space, range);
    const std::string start = bounds.first;
    const std::string end = bounds.second;
    const bool touched =
        writes_.lower_bound(start) != writes_.lower_bound(end) ||
        std::any_of(
            deleted_ranges_.begin(), deleted_ranges_.end(),
            [&](const auto& r) { return r.first < end && start < r.second; });
    if (!touched) return snapshot_.Scan(space, range, limit, reverse);
    // Merge the own writes into the whole range, then cut to the limit.
    absl::StatusOr<std::vector<KeyValue>> base =
        snapshot_.Scan(space, range, std::numeric_limits<int>::max(), false);
    if (!base.ok()) return base.status();
    std::map<std::string, std::string> merged;
    for (KeyValue& entry : *base) {
      const std::string full = keys_.Key(space, entry.key);
      if (!InDeletedRange(full)) merged[full] = std::move(entry.value);
    }
    for (auto it = writes_.lower_bound(start);
         it != writes_.end() && it->first < end; ++it) {
      if (it->second.has_value()) {
        merged[it->first] = *it->second;
      } else {
        merged.erase(it->first);
      }
    }
    std::vector<KeyValue> out;
    auto emit = [&](const auto& entry) {
      out.push_back({keys_.Strip(space, entry.first), entry.second});
      return static_cast<int>(out.size()) < limit;
    };
    if (reverse) {
      for (auto it = merged.rbegin(); it != merged.rend() && emit(*it); ++it) {
      }
    } else {
      for (auto it = merged.begin(); it != merged.end() && emit(*it); ++it) {
      }
    }
    if (limit <= 0) out.clear();
    return out;
  }

  absl::Status Put(absl::string_view space, absl::string_view key,
                   absl::string_view value) override {
    const std::string full = keys_.Key(space, key);
    if (InDeletedRange(full)) {
      return absl::InternalError(
          "storage: a put inside a range this transaction deletes");
    }
    writes_[full] = std::string(value);
    return absl::OkStatus();
  }

  absl::Status Delete(absl::string_view space, absl::string_view key) override {
    const std::string full = keys_.Key(space, key);
    if (!InDeletedRange(full)) writes_[full] = std::nullopt;
    return absl::OkStatus();
  }

  absl::Status DeleteRange(absl::string_view space,
                           const KeyRange& range) override {
    // Named copies: C++17 lambdas cannot capture structured bindings.
    const auto bounds = keys_.Range(space, range);
    const std::string start = bounds.first;
    const std::string end = bounds.second;
    for (auto it = writes_.lower_bound(start);
         it != writes_.end() && it->first < end;) {
      if (it->second.has_value()) {
        return absl::InternalError(
            "storage: a range deletion over a key this transaction puts");
      }
      it = writes_.erase(it);
    }
    deleted_ranges_.emplace_back(start, end);
    return absl::OkStatus();
  }

  // One Txn: every guard's mod_revision must be what the snapshot read;
  // then all the writes. A failed compare is a conflict.
  absl::Status Commit() {
    if (writes_.empty() && deleted_ranges_.empty()) return absl::OkStatus();
    pb::TxnRequest request;
    for (const auto& [key, mod_revision] : guards_) {
      pb::Compare* compare = request.add_compare();
      compare->set_key(key);
      compare->set_target(pb::Compare::MOD);
      compare->set_result(pb::Compare::EQUAL);
      compare->set_mod_revision(mod_revision);
    }
    for (const auto& [key, value] : writes_) {
      pb::RequestOp* op = request.add_success();
      if (value.has_value()) {
        op->mutable_request_put()->set_key(key);
        op->mutable_request_put()->set_value(*value);
      } else {
        op->mutable_request_delete_range()->set_key(key);
      }
    }
    for (const auto& [start, end] : deleted_ranges_) {
      pb::DeleteRangeRequest* op =
          request.add_success()->mutable_request_delete_range();
      op->set_key(start);
      op->set_range_end(end);
    }
    if (request.success_size() > max_ops_ ||
        request.compare_size() > max_ops_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "storage: the change needs ", request.success_size(),
          " etcd operations and ", request.compare_size(),
          " compares; etcd takes at most ", max_ops_, " (--max-txn-ops)"));
    }
    absl::StatusOr<pb::TxnResponse> response = client_.Txn(request);
    if (!response.ok()) return response.status();
    if (!response->succeeded()) {
      return ConflictError("storage: etcd transaction lost a race");
    }
    return absl::OkStatus();
  }

 private:
  bool InDeletedRange(const std::string& key) const {
    return std::any_of(
        deleted_ranges_.begin(), deleted_ranges_.end(),
        [&](const auto& r) { return r.first <= key && key < r.second; });
  }

  // This transaction's own write of `key`: a value, a deletion (nullopt),
  // or no write at all (outer nullopt).
  std::optional<std::optional<std::string>> Own(const std::string& key) const {
    if (auto it = writes_.find(key); it != writes_.end()) return it->second;
    if (InDeletedRange(key)) return std::optional<std::string>();
    return std::nullopt;
  }

  EtcdClient& client_;
  const KeyMapper& keys_;
  EtcdSnapshot snapshot_;
  const int max_ops_;
  std::map<std::string, int64_t> guards_;  // key -> mod_revision read
  std::map<std::string, std::optional<std::string>> writes_;
  std::vector<std::pair<std::string, std::string>> deleted_ranges_;
};

class EtcdEngine final : public KvEngine {
 public:
  EtcdEngine(std::unique_ptr<EtcdClient> client, std::string prefix,
             int max_txn_ops)
      : client_(std::move(client)),
        keys_(std::move(prefix)),
        max_txn_ops_(max_txn_ops) {}

  absl::Status Transact(const TransactionBody& body) override {
    absl::Status status;
    for (int attempt = 0; attempt < kMaxTransactionAttempts; ++attempt) {
      EtcdTransaction txn(*client_, keys_, max_txn_ops_);
      status = body(txn);
      if (status.ok()) status = txn.Commit();
      if (!IsConflict(status)) return status;
      // Racers that lost together should not retry together.
      thread_local absl::BitGen bitgen;
      absl::SleepFor(absl::Microseconds(
          absl::Uniform<int>(bitgen, 100, 1000 * std::min(attempt + 1, 20))));
    }
    return status;
  }

  std::unique_ptr<KvReader> NewReader() override {
    return std::make_unique<EtcdReader>(*client_, keys_);
  }

  int max_operations_per_transaction() const override { return max_txn_ops_; }

  // A linearizable read (what a commit needs too: a quorum) of a key no
  // record uses. Writes nothing, so the probe costs the cluster no
  // revisions; Health goes NOT_SERVING while quorum is lost.
  absl::Status CheckWritable() override {
    pb::RangeRequest probe;
    probe.set_key(keys_.Key("probe", ""));
    probe.set_count_only(true);
    return client_->Range(probe).status();
  }

 private:
  const std::unique_ptr<EtcdClient> client_;
  const KeyMapper keys_;
  const int max_txn_ops_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KvEngine>> OpenEtcdEngine(
    const EtcdEngineOptions& options) {
  if (options.prefix.empty()) {
    return absl::InvalidArgumentError("--etcd_prefix must not be empty");
  }
  if (options.max_txn_ops < 16) {
    return absl::InvalidArgumentError("etcd: max_txn_ops below 16");
  }
  absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::New(options);
  if (!client.ok()) return client.status();
  auto engine = std::make_unique<EtcdEngine>(*std::move(client), options.prefix,
                                             options.max_txn_ops);
  // Fail at start, not at the first call, when no member answers.
  absl::StatusOr<std::vector<KeyValue>> probe =
      engine->NewReader()->Scan(kUsersSpace, KeyRange{}, 1);
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<KvEngine>(std::move(engine));
}

absl::StatusOr<std::unique_ptr<Store>> OpenEtcdStore(
    const EtcdEngineOptions& options,
    std::function<void(const AuditEventRecord&)> audit_observer) {
  absl::StatusOr<std::unique_ptr<KvEngine>> engine = OpenEtcdEngine(options);
  if (!engine.ok()) return engine.status();
  return NewKvStore(*std::move(engine), std::move(audit_observer));
}

}  // namespace identity::storage
