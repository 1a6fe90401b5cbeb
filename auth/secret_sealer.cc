#include "auth/secret_sealer.h"

#include "absl/strings/str_cat.h"
#include "auth/crypto.h"

namespace identity::auth {

absl::StatusOr<std::unique_ptr<SecretSealer>> SecretSealer::New(
    std::vector<KeyEncryptionKey> keys, RandomSource& random) {
  if (keys.empty()) {
    return absl::InvalidArgumentError("no key-encryption key");
  }
  for (const KeyEncryptionKey& kek : keys) {
    if (kek.key.size() != crypto::kAes256KeySize || kek.id.empty()) {
      return absl::InvalidArgumentError(
          "a key-encryption key must be 32 bytes with an id");
    }
  }
  return std::unique_ptr<SecretSealer>(
      new SecretSealer(std::move(keys), random));
}

absl::StatusOr<storage::SealedSecret> SecretSealer::Seal(
    absl::string_view access_key_id, absl::string_view secret) const {
  const KeyEncryptionKey& kek = keys_.front();
  std::string nonce(crypto::kGcmNonceSize, '\0');
  if (absl::Status s = random_.Fill(absl::MakeSpan(
          reinterpret_cast<uint8_t*>(nonce.data()), nonce.size()));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> ciphertext =
      crypto::Aes256GcmSeal(kek.key, nonce, secret, access_key_id);
  if (!ciphertext.ok()) return ciphertext.status();
  storage::SealedSecret sealed;
  sealed.set_kek_id(kek.id);
  sealed.set_nonce(std::move(nonce));
  sealed.set_ciphertext(*std::move(ciphertext));
  return sealed;
}

absl::StatusOr<std::string> SecretSealer::Open(
    absl::string_view access_key_id,
    const storage::SealedSecret& sealed) const {
  for (const KeyEncryptionKey& kek : keys_) {
    if (kek.id != sealed.kek_id()) continue;
    absl::StatusOr<std::string> secret = crypto::Aes256GcmOpen(
        kek.key, sealed.nonce(), sealed.ciphertext(), access_key_id);
    if (!secret.ok()) {
      return absl::DataLossError(absl::StrCat("sealed secret of access key ",
                                              access_key_id,
                                              " does not authenticate"));
    }
    return secret;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "access key ", access_key_id,
      " is sealed under an unknown key-encryption key ", sealed.kek_id()));
}

std::vector<std::string> SecretSealer::key_ids() const {
  std::vector<std::string> ids;
  for (const KeyEncryptionKey& kek : keys_) ids.push_back(kek.id);
  return ids;
}

std::string SecretSealer::KeyedHash(absl::string_view purpose,
                                    absl::string_view data) const {
  // Key separation: the KEK itself only ever keys AES-GCM.
  std::string derived = crypto::HmacSha256(keys_.front().key, purpose);
  std::string hash = crypto::HmacSha256(derived, data);
  crypto::Cleanse(derived);
  return hash;
}

}  // namespace identity::auth
