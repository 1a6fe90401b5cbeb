#ifndef IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_
#define IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/access_key_lifetime.h"
#include "auth/clock.h"
#include "auth/principal.h"
#include "auth/random_source.h"
#include "auth/secret_sealer.h"
#include "storage/records.pb.h"
#include "storage/store.h"

namespace identity::auth {

inline constexpr int kDefaultMaxKeysPerUser = 2;

// An access key with its owner's name, as clients see it. Never the secret.
struct OwnedAccessKey {
  storage::AccessKeyRecord record;
  std::string user_name;
  // A disabled owner's keys cannot be used, whatever their status.
  bool owner_enabled = true;
  // As of the call (see access_key_lifetime.h).
  bool usable = false;
  bool expired = false;
  bool rotation_due = false;
};

struct AccessKeyPage {
  std::vector<OwnedAccessKey> keys;
  // Empty on the last page.
  std::string next_page_token;
};

struct CreatedAccessKey {
  OwnedAccessKey key;
  // The plaintext secret, for the one response that carries it.
  std::string secret_access_key;
};

// The access-key rules: who may act on whose keys, the per-user limit, and
// that a secret exists in plaintext only until it is sealed and returned
// once. Thread-safe; slow calls (synced writes) belong on the worker pool.
class AccessKeyManager {
 public:
  AccessKeyManager(storage::Store& store, const SecretSealer& sealer,
                   const Clock& clock, RandomSource& random,
                   int max_keys_per_user, KeyAgePolicy age_policy = {});

  // Creates a key for `user_name` (empty: the caller). The secret is
  // returned only after the key is durably committed. FailedPrecondition
  // with reason ACCESS_KEY_LIMIT_EXCEEDED at the limit (expired keys count
  // until deleted). `expiry`: when the key stops working; without one, the
  // policy's maximum age applies (see ExpiryForNewKey).
  absl::StatusOr<CreatedAccessKey> CreateAccessKey(
      const Principal& caller, absl::string_view user_name,
      absl::string_view description, const RequestedExpiry& expiry = {});

  // The keys of `user_name` (empty: the caller), oldest first.
  absl::StatusOr<std::vector<OwnedAccessKey>> ListAccessKeys(
      const Principal& caller, absl::string_view user_name);

  // Every user's keys by access key id, a page at a time (see paging.h);
  // admins only.
  absl::StatusOr<AccessKeyPage> ListAllAccessKeys(const Principal& caller,
                                                  int page_size,
                                                  absl::string_view page_token);

  // Sets the status and/or the description, whichever is given, or
  // schedules the key's deactivation `deactivate_after` from now (a
  // graceful rotation; not with `status`, which cancels a schedule). Users
  // act on their own keys, admins on anyone's; another user's key is
  // NotFound, as a missing one is, so key ids cannot be probed. An expired
  // key cannot be reactivated (FailedPrecondition).
  absl::StatusOr<OwnedAccessKey> UpdateAccessKey(
      const Principal& caller, absl::string_view access_key_id,
      std::optional<storage::AccessKeyRecord::Status> status,
      std::optional<std::string> description,
      std::optional<absl::Duration> deactivate_after = std::nullopt);

  const KeyAgePolicy& age_policy() const { return age_policy_; }

  // `record` (its secret dropped) with its owner's name and what the
  // policy says of it now.
  OwnedAccessKey Describe(storage::AccessKeyRecord record,
                          const storage::UserRecord& owner) const;

  // Deletes the key, freeing a slot. Same permissions as UpdateAccessKey.
  absl::Status DeleteAccessKey(const Principal& caller,
                               absl::string_view access_key_id);

 private:
  // The key, if it exists and the caller may act on it; NotFound otherwise.
  absl::StatusOr<storage::AccessKeyRecord> KeyForCaller(
      const Principal& caller, absl::string_view access_key_id);
  absl::StatusOr<OwnedAccessKey> WithOwner(storage::AccessKeyRecord record);
  // The user's name for the audit trail; empty if they are gone.
  std::string OwnerName(absl::string_view user_id);

  storage::Store& store_;
  const SecretSealer& sealer_;
  const Clock& clock_;
  RandomSource& random_;
  const int max_keys_per_user_;
  const KeyAgePolicy age_policy_;
};

// The longest grace period UpdateAccessKey schedules: a rotation, not a
// second expiry.
inline constexpr absl::Duration kMaxDeactivationDelay = absl::Hours(24 * 90);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_
