// Access-key records read from the store: a tampered or corrupt record must
// fail closed (an error), never crash and never open to a secret.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "auth/key_encryption_key.h"
#include "auth/secret_sealer.h"
#include "storage/records.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const identity::auth::SecretSealer* sealer = [] {
    const std::string key(32, 'k');
    return identity::auth::SecretSealer::New(
               {{identity::auth::KeyEncryptionKeyId(key), key}})
        .value()
        .release();
  }();
  identity::storage::AccessKeyRecord record;
  if (!record.ParseFromArray(data, static_cast<int>(size))) return 0;
  // Half the time, claim the KEK this sealer knows, to reach the AEAD.
  if (size > 0 && (data[0] & 1) != 0) {
    record.mutable_sealed_secret()->set_kek_id(sealer->sealing_key_id());
  }
  absl::StatusOr<std::string> secret =
      sealer->Open(record.access_key_id(), record.sealed_secret());
  // Forging a GCM tag by chance is a 2^-128 event: treat success as a bug.
  if (secret.ok()) abort();
  return 0;
}
