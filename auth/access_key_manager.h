#ifndef IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_
#define IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_

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

 private:
  storage::Store& store_;
  const SecretSealer& sealer_;
  const Clock& clock_;
  RandomSource& random_;
  const int max_keys_per_user_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_ACCESS_KEY_MANAGER_H_
