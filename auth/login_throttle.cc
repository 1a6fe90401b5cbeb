#include "auth/login_throttle.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/audit_event.h"
#include "auth/error_reason.h"

namespace identity::auth {
namespace {

constexpr absl::Duration kAddressWindow = absl::Minutes(1);
// Address windows are forgotten once stale and the map is this large.
constexpr size_t kMaxTrackedAddresses = 10000;
// (name, address) pairs remembered per shard (64 shards: about 100k in all).
constexpr size_t kMaxPairsPerShard = 1600;
// Recorded names of no user start with a character no user name has.
constexpr char kUnknownNameTag = '~';

absl::Status TooManyAttempts() {
  return WithReason(absl::UnauthenticatedError(
                        "too many failed sign-in attempts: try again later"),
                    kTooManyAttempts);
}

absl::Status CannotRecord() {
  return absl::UnavailableError(
      "sign-in attempts cannot be recorded right now: try again later");
}

}  // namespace

LoginThrottle::Ticket::Ticket(Ticket&& other) noexcept
    : throttle_(std::exchange(other.throttle_, nullptr)),
      name_key_(std::move(other.name_key_)),
      address_(std::move(other.address_)) {}

LoginThrottle::Ticket::~Ticket() {
  if (throttle_ == nullptr) return;
  Shard& shard = throttle_->ShardFor(name_key_);
  absl::MutexLock lock(&shard.mu);
  throttle_->Release(shard, name_key_, address_);
}

void LoginThrottle::Ticket::Succeeded() {
  if (throttle_ != nullptr) {
    throttle_->Report(name_key_, address_, true, nullptr);
  }
  throttle_ = nullptr;
}

absl::Status LoginThrottle::Ticket::Failed() {
  absl::Status recorded;
  if (throttle_ != nullptr) {
    throttle_->Report(name_key_, address_, false, &recorded);
  }
  throttle_ = nullptr;
  return recorded;
}

LoginThrottle::LoginThrottle(storage::Store& store, const Clock& clock,
                             const SecretSealer& sealer, LockoutPolicy policy)
    : store_(store), clock_(clock), sealer_(sealer), policy_(policy) {}

LoginThrottle::Shard& LoginThrottle::ShardFor(absl::string_view name_key) {
  return shards_[absl::Hash<absl::string_view>()(name_key) % kShards];
}

std::string LoginThrottle::RecordedName(absl::string_view user_name,
                                        bool user_exists) const {
  std::string folded = absl::AsciiStrToLower(user_name);
  if (user_exists) return folded;
  // Someone may have typed their password into the name field: keep only a
  // hash keyed by the KEK, stable across restarts and replicas.
  std::string hash = sealer_.KeyedHash("login-attempts-name", folded);
  return absl::StrCat(std::string(1, kUnknownNameTag),
                      absl::BytesToHexString(hash.substr(0, 12)));
}

absl::Duration LoginThrottle::Backoff(absl::Duration first,
                                      int lockouts) const {
  absl::Duration duration = first;
  for (int i = 0; i < lockouts && duration < policy_.max_lock_duration; ++i) {
    duration *= 2;
  }
  return std::min(duration, policy_.max_lock_duration);
}

absl::StatusOr<LoginThrottle::Ticket> LoginThrottle::Admit(
    absl::string_view user_name, bool user_exists, absl::string_view address) {
  if (AddressOverLimit(address)) return TooManyAttempts();
  std::string name_key = RecordedName(user_name, user_exists);
  const std::string address_key(address);
  Shard& shard = ShardFor(name_key);
  // The store read and the reservation happen under the shard lock, and a
  // failure is recorded and released under it too: an admitted check sees
  // every earlier failure either stored or still in flight.
  absl::MutexLock lock(&shard.mu);
  NameState& name = shard.names[name_key];
  if (name.unrecorded_failures > 0) {
    // Fail closed: no further guess until the earlier ones are counted.
    if (!RecordNameFailures(name_key, address_key, name.unrecorded_failures,
                            absl::ZeroDuration())) {
      return CannotRecord();
    }
    name.unrecorded_failures = 0;
  }
  absl::StatusOr<storage::LoginAttemptsRecord> record =
      store_.GetLoginAttempts(name_key);
  const absl::Time now = clock_.Now();
  absl::Status refused;
  if (!record.ok()) {
    refused = record.status();
  } else if (record->locked_until_micros() > absl::ToUnixMicros(now)) {
    refused = TooManyAttempts();
  } else {
    auto [it, inserted] = name.pairs.try_emplace(address_key);
    if (inserted) ++shard.pairs;
    PairState& pair = it->second;
    if (pair.locked_until > now) {
      refused = TooManyAttempts();
    } else if (pair.failures + pair.in_flight >= policy_.max_failures ||
               record->consecutive_failures() + name.in_flight >=
                   policy_.max_failures_per_name) {
      // Not locked, but the checks already running could use up the
      // failures left before a lock: admitting more would let a flood run
      // more Argon2 verifications than the limit. Retriable.
      refused = absl::ResourceExhaustedError(
          "too many concurrent sign-ins for this user name: retry shortly, "
          "or use a session token (Login) for concurrent calls");
    } else {
      ++pair.in_flight;
      ++name.in_flight;
    }
  }
  if (!refused.ok()) {
    Release(shard, name_key, address_key);  // forgets what is idle
    return refused;
  }
  if (shard.pairs > kMaxPairsPerShard) TrimPairs(shard);
  return Ticket(this, std::move(name_key), address_key);
}

void LoginThrottle::Report(const std::string& name_key,
                           const std::string& address, bool succeeded,
                           absl::Status* recorded) {
  if (!succeeded) CountAddressFailure(address);
  Shard& shard = ShardFor(name_key);
  absl::MutexLock lock(&shard.mu);
  NameState& name = shard.names[name_key];
  auto [it, inserted] = name.pairs.try_emplace(address);
  if (inserted) ++shard.pairs;
  PairState& pair = it->second;
  if (succeeded) {
    pair.failures = 0;
    pair.lockouts = 0;
    pair.locked_until = absl::InfinitePast();
    absl::StatusOr<storage::LoginAttemptsRecord> record =
        store_.GetLoginAttempts(name_key);
    // A synced write only when there is something to clear; a failure to
    // clear only keeps a count that a success would have reset.
    if (record.ok() &&
        (record->consecutive_failures() > 0 || record->lockouts() > 0)) {
      store_
          .UpdateLoginAttempts(
              name_key, [](storage::LoginAttemptsRecord& r) { r.Clear(); },
              /*audit=*/{})
          .status()
          .IgnoreError();
    }
  } else {
    const absl::Duration pair_lock = CountPairFailure(pair);
    if (!RecordNameFailures(name_key, address, 1, pair_lock)) {
      ++name.unrecorded_failures;
      if (recorded != nullptr) *recorded = CannotRecord();
    }
  }
  Release(shard, name_key, address);
}

absl::Duration LoginThrottle::CountPairFailure(PairState& pair) {
  const absl::Time now = clock_.Now();
  pair.last_failure = now;
  if (++pair.failures < policy_.max_failures) return absl::ZeroDuration();
  const absl::Duration lock = Backoff(policy_.lock_duration, pair.lockouts);
  pair.locked_until = now + lock;
  ++pair.lockouts;
  pair.failures = 0;  // a fresh count after the lock
  return lock;
}

bool LoginThrottle::RecordNameFailures(const std::string& name_key,
                                       const std::string& address, int failures,
                                       absl::Duration pair_locked_for) {
  const int64_t now = absl::ToUnixMicros(clock_.Now());
  // Every writer of this name holds the shard lock, so the record read
  // here is the one the update below changes: it tells whether these
  // failures lock the name, for the audit trail.
  absl::StatusOr<storage::LoginAttemptsRecord> before =
      store_.GetLoginAttempts(name_key);
  if (!before.ok()) return false;
  Principal nobody;
  nobody.client_address = address;
  storage::AuditEvents audit = AuditEvents(
      storage::AuditEventRecord::LOGIN_FAILED, nobody, clock_, "", name_key, "",
      failures > 1 ? absl::StrCat("failures=", failures) : "");
  const bool locks = before->consecutive_failures() + failures >=
                     policy_.max_failures_per_name;
  const int64_t lock_micros = absl::ToInt64Microseconds(
      Backoff(policy_.name_lock_duration, before->lockouts()));
  auto lock_event = [&](absl::string_view scope, absl::Duration duration) {
    storage::AuditEventRecord event = AuditEvent(
        storage::AuditEventRecord::USER_LOCKED, nobody, clock_, "", name_key);
    event.set_detail(absl::StrCat("scope=", scope,
                                  " seconds=", absl::ToInt64Seconds(duration)));
    audit.push_back(std::move(event));
  };
  if (pair_locked_for > absl::ZeroDuration()) {
    lock_event("address", pair_locked_for);
  }
  if (locks) lock_event("name", absl::Microseconds(lock_micros));
  return store_
      .UpdateLoginAttempts(
          name_key,
          [&](storage::LoginAttemptsRecord& r) {
            r.set_consecutive_failures(r.consecutive_failures() + failures);
            r.set_last_failure_micros(now);
            if (r.consecutive_failures() >= policy_.max_failures_per_name) {
              r.set_locked_until_micros(now + lock_micros);
              r.set_lockouts(r.lockouts() + 1);
              r.set_consecutive_failures(0);
            }
          },
          audit)
      .ok();
}

void LoginThrottle::Release(Shard& shard, const std::string& name_key,
                            const std::string& address) {
  auto name_it = shard.names.find(name_key);
  if (name_it == shard.names.end()) return;
  NameState& name = name_it->second;
  auto pair_it = name.pairs.find(address);
  if (pair_it != name.pairs.end()) {
    PairState& pair = pair_it->second;
    if (pair.in_flight > 0) {
      --pair.in_flight;
      if (name.in_flight > 0) --name.in_flight;
    }
    if (pair.in_flight == 0 && pair.failures == 0 && pair.lockouts == 0) {
      name.pairs.erase(pair_it);
      --shard.pairs;
    }
  }
  if (name.pairs.empty() && name.in_flight == 0 &&
      name.unrecorded_failures == 0) {
    shard.names.erase(name_it);
  }
}

void LoginThrottle::TrimPairs(Shard& shard) {
  const absl::Time now = clock_.Now();
  // First what no longer matters: locks long over. Then any pair not
  // locked now; locked pairs are kept (the per-name count still holds
  // everything forgotten here).
  for (int pass = 0; pass < 2 && shard.pairs > kMaxPairsPerShard; ++pass) {
    for (auto name_it = shard.names.begin(); name_it != shard.names.end();) {
      NameState& name = name_it->second;
      for (auto it = name.pairs.begin(); it != name.pairs.end();) {
        const PairState& pair = it->second;
        const bool stale =
            pass == 0 ? pair.last_failure + policy_.max_lock_duration < now &&
                            pair.locked_until < now
                      : pair.locked_until <= now;
        if (pair.in_flight == 0 && stale) {
          name.pairs.erase(it++);
          --shard.pairs;
        } else {
          ++it;
        }
      }
      if (name.pairs.empty() && name.in_flight == 0 &&
          name.unrecorded_failures == 0) {
        shard.names.erase(name_it++);
      } else {
        ++name_it;
      }
    }
  }
}

absl::Status LoginThrottle::Unlock(absl::string_view user_name,
                                   bool user_exists,
                                   const storage::AuditEvents& audit) {
  const std::string name_key = RecordedName(user_name, user_exists);
  Shard& shard = ShardFor(name_key);
  absl::MutexLock lock(&shard.mu);
  absl::Status status =
      store_
          .UpdateLoginAttempts(
              name_key, [](storage::LoginAttemptsRecord& r) { r.Clear(); },
              audit)
          .status();
  if (!status.ok()) return status;
  auto name_it = shard.names.find(name_key);
  if (name_it != shard.names.end()) {
    NameState& name = name_it->second;
    name.unrecorded_failures = 0;
    for (auto it = name.pairs.begin(); it != name.pairs.end();) {
      if (it->second.in_flight == 0) {
        name.pairs.erase(it++);
        --shard.pairs;
      } else {
        it->second = PairState{0, it->second.in_flight};
        ++it;
      }
    }
    if (name.pairs.empty() && name.in_flight == 0) shard.names.erase(name_it);
  }
  return absl::OkStatus();
}

bool LoginThrottle::AddressOverLimit(absl::string_view address) {
  if (address.empty()) return false;
  absl::MutexLock lock(&address_mu_);
  auto it = address_windows_.find(address);
  if (it == address_windows_.end()) return false;
  if (clock_.Now() - it->second.start >= kAddressWindow) return false;
  return it->second.failures >= policy_.max_failures_per_address;
}

void LoginThrottle::CountAddressFailure(const std::string& address) {
  if (address.empty()) return;
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&address_mu_);
  if (address_windows_.size() >= kMaxTrackedAddresses) {
    absl::erase_if(address_windows_, [&](const auto& entry) {
      return now - entry.second.start >= kAddressWindow;
    });
  }
  AddressWindow& window = address_windows_[address];
  if (now - window.start >= kAddressWindow) window = {now, 0};
  ++window.failures;
}

}  // namespace identity::auth
