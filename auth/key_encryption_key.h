#ifndef IDENTITY_AUTH_KEY_ENCRYPTION_KEY_H_
#define IDENTITY_AUTH_KEY_ENCRYPTION_KEY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/random_source.h"

namespace identity::auth {

// A key-encryption key (KEK): seals secret access keys at rest.
struct KeyEncryptionKey {
  // 16 hex characters derived from the key, stored beside every ciphertext so
  // the right KEK is found after a rotation. Not secret.
  std::string id;
  // 32 bytes.
  std::string key;
};

// Derives a KEK's id from its bytes (a hash prefix: reveals nothing useful).
std::string KeyEncryptionKeyId(absl::string_view key);

// Reads a KEK file: one key a line as 64 hex characters; blank lines and
// lines starting with '#' are skipped. The first key seals new secrets; the
// others still open old ones, which is how a KEK is rotated. Refuses a file
// that group or others may read or write (like ssh does with private keys).
absl::StatusOr<std::vector<KeyEncryptionKey>> ReadKeyEncryptionKeyFile(
    const std::string& path);

// Writes a fresh random KEK file at `path` with mode 0600. Fails with
// AlreadyExists rather than replace a key that may be sealing data.
absl::Status CreateKeyEncryptionKeyFile(const std::string& path,
                                        RandomSource& random = SystemRandom());

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_KEY_ENCRYPTION_KEY_H_
