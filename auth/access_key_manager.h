#ifndef IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_
#define IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
                   int max_keys_per_user);

  // Creates a key for `user_name` (empty: the caller). The secret is
  // returned only after the key is durably committed. FailedPrecondition
  // with reason ACCESS_KEY_LIMIT_EXCEEDED at the limit.
  absl::StatusOr<CreatedAccessKey> CreateAccessKey(
      const Principal& caller, absl::string_view user_name,
      absl::string_view description);

  // The keys of `user_name` (empty: the caller), oldest first.
  absl::StatusOr<std::vector<OwnedAccessKey>> ListAccessKeys(
      const Principal& caller, absl::string_view user_name);

  // Every user's keys by access key id, a page at a time (see paging.h);
  // admins only.
  absl::StatusOr<AccessKeyPage> ListAllAccessKeys(const Principal& caller,
                                                  int page_size,
                                                  absl::string_view page_token);

  // Sets the status and/or the description, whichever is given. Users act
  // on their own keys, admins on anyone's; another user's key is NotFound,
  // as a missing one is, so key ids cannot be probed.
  absl::StatusOr<OwnedAccessKey> UpdateAccessKey(
      const Principal& caller, absl::string_view access_key_id,
      std::optional<storage::AccessKeyRecord::Status> status,
      std::optional<std::string> description);

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
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_
