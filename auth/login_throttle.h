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
#include "storage/store.h"

namespace identity::auth {

struct LockoutPolicy {
  // Consecutive failed password checks for one user name (existing or not)
  // after which the name is locked...
  int max_failures = 5;
  // ...for this long.
  absl::Duration lock_duration = absl::Minutes(15);
  // Failed checks one client address may make per minute, across all names,
  // so a single address cannot spray guesses over many users.
  int max_failures_per_address = 30;
};

// Brute-force protection in front of the password check. Once a name has
// failed `max_failures` times in a row, checks for it are refused for
// `lock_duration` without running Argon2, whether or not the user exists,
// and the lock survives restarts (it lives in the store). Concurrent
// attempts hold a reservation, so however many race, at most
// `max_failures` Argon2 verifications run per lock period.
// Thread-safe.
class LoginThrottle {
 public:
  // One admitted password check. Report its outcome with Succeeded() or
  // Failed(); dropping it unreported releases the reservation (e.g. when the
  // store failed mid-check).
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();
    void Succeeded();
    void Failed();

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
                LockoutPolicy policy);

  // Admits one password check of `user_name` from `address` (empty: not
  // known). Unauthenticated with reason TOO_MANY_ATTEMPTS while the name is
  // locked or the address over its limit; ResourceExhausted while as many
  // checks of the name are running as it has failures left before a lock.
  absl::StatusOr<Ticket> Admit(absl::string_view user_name,
                               absl::string_view address);

  // Clears the name's failures and lock (an admin's unlock), writing
  // `audit` with it.
  absl::Status Unlock(absl::string_view user_name,
                      const storage::AuditEvents& audit);

 private:
  static constexpr int kShards = 64;
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, int> in_flight ABSL_GUARDED_BY(mu);
  };
  struct AddressWindow {
    absl::Time start;
    int failures = 0;
  };

  Shard& ShardFor(absl::string_view name_key);
  void Report(const std::string& name_key, const std::string& address,
              bool succeeded);
  void Release(Shard& shard, const std::string& name_key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  bool AddressOverLimit(absl::string_view address);
  void CountAddressFailure(const std::string& address);

  storage::Store& store_;
  const Clock& clock_;
  const LockoutPolicy policy_;
  std::array<Shard, kShards> shards_;
  absl::Mutex address_mu_;
  absl::flat_hash_map<std::string, AddressWindow> address_windows_
      ABSL_GUARDED_BY(address_mu_);
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_LOGIN_THROTTLE_H_
