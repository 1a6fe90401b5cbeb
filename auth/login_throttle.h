#ifndef IDENTITY_AUTH_LOGIN_THROTTLE_H_
#define IDENTITY_AUTH_LOGIN_THROTTLE_H_

#include <array>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/clock.h"
#include "auth/secret_sealer.h"
#include "storage/store.h"

namespace identity::auth {

// Two locks, so that the lock hurts the attacker more than the owner:
// - a (user name, client address) pair is locked after `max_failures`
//   consecutive failures: an attacker at one address locks out only
//   themselves, and each further lock of the pair lasts twice as long;
// - a user name is locked for every address only after
//   `max_failures_per_name` consecutive failures from all addresses
//   together (a distributed guesser), again with doubling locks.
struct LockoutPolicy {
  // Consecutive failures of one name from one address before that pair is
  // locked...
  int max_failures = 5;
  // ...first for this long, twice as long for each further lock in a row,
  // at most `max_lock_duration`.
  absl::Duration lock_duration = absl::Minutes(1);
  absl::Duration max_lock_duration = absl::Hours(1);
  // Consecutive failures of one name from all addresses before the name is
  // locked for everyone, first for `name_lock_duration` (doubling the same
  // way, at most `max_lock_duration`).
  int max_failures_per_name = 50;
  absl::Duration name_lock_duration = absl::Minutes(15);
  // Failed checks one client address may make per minute, across all names,
  // so a single address cannot spray guesses over many users.
  int max_failures_per_address = 30;
};

// Brute-force protection in front of the password check. Locked pairs and
// names are refused without running Argon2, whether or not the user exists.
// The per-name count and lock live in the store (they survive restarts and
// hold across replicas); the per-pair state is in this process's memory,
// bounded (an attacker gains nothing from a restart: the per-name ceiling
// still counts every failure). Concurrent attempts hold reservations, so
// however many race, no more Argon2 verifications run than failures are
// left before a lock.
//
// Fails closed: a failure the store cannot record is refused with
// Unavailable, and the name accepts no further check until the failure is
// recorded, so an outage of the store never hands out free guesses.
//
// Names that exist are recorded as typed (case-folded); other names, which
// may be a password typed in the wrong field, only as a keyed hash.
// Thread-safe.
class LoginThrottle {
 public:
  // One admitted password check. Report its outcome with Succeeded() or
  // Failed(); dropping it unreported releases the reservations (e.g. when the
  // store failed mid-check, or the check asked for a code).
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();
    void Succeeded();
    // Unavailable if the failure could not be recorded: the caller must then
    // refuse the attempt with that status.
    absl::Status Failed();

   private:
    friend class LoginThrottle;
    Ticket(LoginThrottle* throttle, std::string name_key, std::string address)
        : throttle_(throttle),
          name_key_(std::move(name_key)),
          address_(std::move(address)) {}
    LoginThrottle* throttle_;  // null once reported
    std::string name_key_;
    std::string address_;
  };

  LoginThrottle(storage::Store& store, const Clock& clock,
                const SecretSealer& sealer, LockoutPolicy policy);

  // Admits one password check of `user_name` (`user_exists`: whether such a
  // user exists, which decides how the name is recorded) from `address`
  // (empty: not known). Unauthenticated with reason TOO_MANY_ATTEMPTS while
  // the pair or the name is locked or the address over its limit;
  // ResourceExhausted while as many checks are running as there are failures
  // left before a lock; Unavailable while a failure awaits recording.
  absl::StatusOr<Ticket> Admit(absl::string_view user_name, bool user_exists,
                               absl::string_view address);

  // Clears the name's failures and locks, for every address (an admin's
  // unlock, or the break-glass reset), writing `audit` with it.
  absl::Status Unlock(absl::string_view user_name, bool user_exists,
                      const storage::AuditEvents& audit);

  // How `user_name` is recorded in the store and the audit trail.
  std::string RecordedName(absl::string_view user_name, bool user_exists) const;

 private:
  static constexpr int kShards = 64;
  struct PairState {
    int failures = 0;
    int in_flight = 0;
    // Locks in a row, for the doubling.
    int lockouts = 0;
    absl::Time locked_until = absl::InfinitePast();
    absl::Time last_failure = absl::InfinitePast();
  };
  struct NameState {
    int in_flight = 0;
    // Failures the store could not record yet.
    int unrecorded_failures = 0;
    absl::flat_hash_map<std::string, PairState> pairs;
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, NameState> names ABSL_GUARDED_BY(mu);
    size_t pairs ABSL_GUARDED_BY(mu) = 0;
  };
  struct AddressWindow {
    absl::Time start;
    int failures = 0;
  };

  Shard& ShardFor(absl::string_view name_key);
  void Report(const std::string& name_key, const std::string& address,
              bool succeeded, absl::Status* recorded);
  // Adds a failure to the stored per-name count (and locks the name at the
  // ceiling); false if the store refused.
  // `pair_locked_for`: the lock this failure put on the pair (zero: none),
  // for the audit trail.
  bool RecordNameFailures(const std::string& name_key,
                          const std::string& address, int failures,
                          absl::Duration pair_locked_for);
  // Counts a failure of the pair; returns the lock it put on it (zero if
  // none). Under the pair's shard lock.
  absl::Duration CountPairFailure(PairState& pair);
  void Release(Shard& shard, const std::string& name_key,
               const std::string& address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Forgets stale pairs once the shard holds too many.
  void TrimPairs(Shard& shard) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  absl::Duration Backoff(absl::Duration first, int lockouts) const;
  bool AddressOverLimit(absl::string_view address);
  void CountAddressFailure(const std::string& address);

  storage::Store& store_;
  const Clock& clock_;
  const SecretSealer& sealer_;
  const LockoutPolicy policy_;
  std::array<Shard, kShards> shards_;
  absl::Mutex address_mu_;
  absl::flat_hash_map<std::string, AddressWindow> address_windows_
      ABSL_GUARDED_BY(address_mu_);
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_LOGIN_THROTTLE_H_
