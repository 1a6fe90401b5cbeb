#include "auth/login_throttle.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "auth/audit_event.h"
#include "auth/error_reason.h"

namespace identity::auth {
namespace {

constexpr absl::Duration kAddressWindow = absl::Minutes(1);
// Address windows are forgotten once stale and the map is this large.
constexpr size_t kMaxTrackedAddresses = 10000;

absl::Status TooManyAttempts() {
  return WithReason(absl::UnauthenticatedError(
                        "too many failed sign-in attempts: try again later"),
                    kTooManyAttempts);
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
  throttle_->Release(shard, name_key_);
}

void LoginThrottle::Ticket::Succeeded() {
  if (throttle_ != nullptr) throttle_->Report(name_key_, address_, true);
  throttle_ = nullptr;
}

void LoginThrottle::Ticket::Failed() {
  if (throttle_ != nullptr) throttle_->Report(name_key_, address_, false);
  throttle_ = nullptr;
}

LoginThrottle::LoginThrottle(storage::Store& store, const Clock& clock,
                             LockoutPolicy policy)
    : store_(store), clock_(clock), policy_(policy) {}

LoginThrottle::Shard& LoginThrottle::ShardFor(absl::string_view name_key) {
  return shards_[absl::Hash<absl::string_view>()(name_key) % kShards];
}

absl::StatusOr<LoginThrottle::Ticket> LoginThrottle::Admit(
    absl::string_view user_name, absl::string_view address) {
  if (AddressOverLimit(address)) return TooManyAttempts();
  std::string name_key = absl::AsciiStrToLower(user_name);
  Shard& shard = ShardFor(name_key);
  // The store read and the reservation happen under the shard lock, and a
  // failure is recorded and released under it too: an admitted check sees
  // every earlier failure either stored or still in flight.
  absl::MutexLock lock(&shard.mu);
  absl::StatusOr<storage::LoginAttemptsRecord> record =
      store_.GetLoginAttempts(name_key);
  if (!record.ok()) return record.status();
  if (record->locked_until_micros() > absl::ToUnixMicros(clock_.Now())) {
    return TooManyAttempts();
  }
  int& in_flight = shard.in_flight[name_key];
  if (record->consecutive_failures() + in_flight >= policy_.max_failures) {
    // Not locked, but the checks already running could use up the failures
    // left before the lock: admitting more would let a flood run more
    // Argon2 verifications than the limit. Retriable, unlike a lockout.
    return absl::ResourceExhaustedError(
        "too many concurrent sign-ins for this user name: retry shortly, or "
        "use a session token (Login) for concurrent calls");
  }
  ++in_flight;
  return Ticket(this, std::move(name_key), std::string(address));
}

void LoginThrottle::Report(const std::string& name_key,
                           const std::string& address, bool succeeded) {
  if (!succeeded) CountAddressFailure(address);
  Shard& shard = ShardFor(name_key);
  absl::MutexLock lock(&shard.mu);
  const int64_t now = absl::ToUnixMicros(clock_.Now());
  if (succeeded) {
    absl::StatusOr<storage::LoginAttemptsRecord> record =
        store_.GetLoginAttempts(name_key);
    // A synced write only when there is something to clear.
    if (record.ok() && record->consecutive_failures() > 0) {
      store_
          .UpdateLoginAttempts(
              name_key, [](storage::LoginAttemptsRecord& r) { r.Clear(); },
              /*audit=*/{})
          .status()
          .IgnoreError();
    }
  } else {
    const int max_failures = policy_.max_failures;
    const int64_t lock_micros =
        absl::ToInt64Microseconds(policy_.lock_duration);
    // Every writer of this name holds the shard lock, so the record read
    // here is the one the update below changes: it tells whether this
    // failure locks the name, for the audit trail.
    absl::StatusOr<storage::LoginAttemptsRecord> before =
        store_.GetLoginAttempts(name_key);
    Principal nobody;
    nobody.client_address = address;
    storage::AuditEvents audit = AuditEvents(
        storage::AuditEventRecord::LOGIN_FAILED, nobody, clock_, "", name_key);
    if (before.ok() && before->consecutive_failures() + 1 >= max_failures) {
      audit.push_back(AuditEvent(storage::AuditEventRecord::USER_LOCKED, nobody,
                                 clock_, "", name_key));
    }
    // If this write fails the failure goes uncounted; the reservation is
    // still released, so the name is never wedged.
    store_
        .UpdateLoginAttempts(
            name_key,
            [&](storage::LoginAttemptsRecord& r) {
              r.set_consecutive_failures(r.consecutive_failures() + 1);
              r.set_last_failure_micros(now);
              if (r.consecutive_failures() >= max_failures) {
                r.set_locked_until_micros(now + lock_micros);
                r.set_consecutive_failures(0);  // a fresh count after the lock
              }
            },
            audit)
        .status()
        .IgnoreError();
  }
  Release(shard, name_key);
}

void LoginThrottle::Release(Shard& shard, const std::string& name_key) {
  auto it = shard.in_flight.find(name_key);
  if (it == shard.in_flight.end()) return;
  if (--it->second <= 0) shard.in_flight.erase(it);
}

absl::Status LoginThrottle::Unlock(absl::string_view user_name,
                                   const storage::AuditEvents& audit) {
  const std::string name_key = absl::AsciiStrToLower(user_name);
  Shard& shard = ShardFor(name_key);
  absl::MutexLock lock(&shard.mu);
  return store_
      .UpdateLoginAttempts(
          name_key, [](storage::LoginAttemptsRecord& r) { r.Clear(); }, audit)
      .status();
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
