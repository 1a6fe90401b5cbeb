#ifndef IDENTITY_AUTH_SECRET_SEALER_H_
#define IDENTITY_AUTH_SECRET_SEALER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/key_encryption_key.h"
#include "auth/random_source.h"
#include "storage/records.pb.h"

namespace identity::auth {

// Seals secret access keys for storage and opens them again for a signature
// verifier. Secrets are sealed, not hashed, because HMAC verification needs
// them back. AES-256-GCM with a fresh random 96-bit nonce per seal and the
// access key id as associated data, so a sealed secret moved to another key's
// record fails to open instead of yielding the wrong secret. Thread-safe.
class SecretSealer {
 public:
  // `keys`: the first seals; all open. At least one.
  static absl::StatusOr<std::unique_ptr<SecretSealer>> New(
      std::vector<KeyEncryptionKey> keys,
      RandomSource& random = SystemRandom());

  absl::StatusOr<storage::SealedSecret> Seal(absl::string_view access_key_id,
                                             absl::string_view secret) const;

  // FailedPrecondition if sealed under a KEK this sealer was not given;
  // DataLoss if the record was altered or belongs to another key id.
  absl::StatusOr<std::string> Open(absl::string_view access_key_id,
                                   const storage::SealedSecret& sealed) const;

  // A keyed hash of `data` under a key derived from the sealing KEK and
  // `purpose`, for short secrets stored hashed (verification codes): a copy
  // of the store without the KEK does not reveal them, even by trying all.
  std::string KeyedHash(absl::string_view purpose,
                        absl::string_view data) const;

  const std::string& sealing_key_id() const { return keys_.front().id; }
  // The ids of every KEK given, the sealing one first. Not secret.
  std::vector<std::string> key_ids() const;

 private:
  SecretSealer(std::vector<KeyEncryptionKey> keys, RandomSource& random)
      : keys_(std::move(keys)), random_(random) {}

  const std::vector<KeyEncryptionKey> keys_;
  RandomSource& random_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SECRET_SEALER_H_
