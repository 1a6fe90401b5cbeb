#ifndef IDENTITY_AUTH_CRYPTO_H_
#define IDENTITY_AUTH_CRYPTO_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

// The thin crypto wrapper: the only code that includes <openssl/...>. It uses
// only calls that BoringSSL and OpenSSL 3 share (RAND_bytes, EVP AES-256-GCM,
// SHA256_Init and SHA1_Init with HMAC built on them, CRYPTO_memcmp,
// OPENSSL_cleanse), so the same source builds
// against either; tests/auth runs its known-answer tests against both.
// Binary values travel as std::string bytes. All functions are thread-safe.
namespace identity::crypto {

inline constexpr size_t kAes256KeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;
inline constexpr size_t kSha256Size = 32;
inline constexpr size_t kSha1Size = 20;

// "BoringSSL" or "OpenSSL" (as built): lets tests prove which they ran on.
absl::string_view Backend();

// Fills `out` from the operating system's CSPRNG.
absl::Status RandomBytes(absl::Span<uint8_t> out);
absl::StatusOr<std::string> RandomBytes(size_t size);

std::string Sha256(absl::string_view data);
std::string HmacSha256(absl::string_view key, absl::string_view data);
std::string HmacSha1(absl::string_view key, absl::string_view data);

// AES-256-GCM with a 96-bit nonce: returns ciphertext followed by the tag.
absl::StatusOr<std::string> Aes256GcmSeal(absl::string_view key,
                                          absl::string_view nonce,
                                          absl::string_view plaintext,
                                          absl::string_view associated_data);
// Reverses Aes256GcmSeal. Any tampering with the key, nonce, ciphertext, tag
// or associated data gives PermissionDenied, never wrong plaintext.
absl::StatusOr<std::string> Aes256GcmOpen(absl::string_view key,
                                          absl::string_view nonce,
                                          absl::string_view ciphertext_and_tag,
                                          absl::string_view associated_data);

// Compares in time that depends only on the lengths, not the contents.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Overwrites `data` so a secret does not outlive its use in freed memory.
void Cleanse(std::string& data);
void Cleanse(absl::Span<uint8_t> data);

}  // namespace identity::crypto

#endif  // IDENTITY_AUTH_CRYPTO_H_
