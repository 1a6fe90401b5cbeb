#include "auth/crypto.h"

// SHA256_Init and SHA1_Init are deprecated in OpenSSL 3 (not in BoringSSL)
// but remain its fastest path: see Sha256() below.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <climits>
#include <cstring>
#include <memory>

namespace identity::crypto {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

const uint8_t* Bytes(absl::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}
uint8_t* MutableBytes(std::string& s) {
  return reinterpret_cast<uint8_t*>(s.data());
}

// EVP lengths are int in OpenSSL; refuse anything that would not fit.
bool FitsInt(absl::string_view s) { return s.size() <= INT_MAX / 2; }

absl::Status CheckAeadInputs(absl::string_view key, absl::string_view nonce,
                             absl::string_view text,
                             absl::string_view associated_data) {
  if (key.size() != kAes256KeySize) {
    return absl::InvalidArgumentError("AES-256-GCM key must be 32 bytes");
  }
  if (nonce.size() != kGcmNonceSize) {
    return absl::InvalidArgumentError("AES-GCM nonce must be 12 bytes");
  }
  if (!FitsInt(text) || !FitsInt(associated_data)) {
    return absl::InvalidArgumentError("AES-GCM input too large");
  }
  return absl::OkStatus();
}

// The low-level hash contexts the HMAC below is built on, with the
// signatures OpenSSL and BoringSSL share.
struct Sha256Hash {
  using Context = SHA256_CTX;
  static constexpr size_t kBlock = 64;
  static constexpr size_t kSize = kSha256Size;
  static void Init(Context* c) { SHA256_Init(c); }
  static void Update(Context* c, const void* p, size_t n) {
    SHA256_Update(c, p, n);
  }
  static void Final(uint8_t* out, Context* c) { SHA256_Final(out, c); }
};
struct Sha1Hash {
  using Context = SHA_CTX;
  static constexpr size_t kBlock = 64;
  static constexpr size_t kSize = kSha1Size;
  static void Init(Context* c) { SHA1_Init(c); }
  static void Update(Context* c, const void* p, size_t n) {
    SHA1_Update(c, p, n);
  }
  static void Final(uint8_t* out, Context* c) { SHA1_Final(out, c); }
};

// HMAC (RFC 2104) over the low-level contexts. OpenSSL 3's HMAC() looks the
// MAC and the digest up by name on every call (1.5 us against 0.2 us here,
// more under contention: its lookups take a lock), and a SigV4 or OBS
// verification and every signing-key derivation run it.
template <typename Hash>
std::string Hmac(absl::string_view key, absl::string_view data) {
  uint8_t block[Hash::kBlock] = {};
  typename Hash::Context context;
  if (key.size() > Hash::kBlock) {
    Hash::Init(&context);
    Hash::Update(&context, key.data(), key.size());
    Hash::Final(block, &context);
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[Hash::kBlock];
  for (size_t i = 0; i < Hash::kBlock; ++i) pad[i] = block[i] ^ 0x36;
  uint8_t inner[Hash::kSize];
  Hash::Init(&context);
  Hash::Update(&context, pad, sizeof(pad));
  Hash::Update(&context, data.data(), data.size());
  Hash::Final(inner, &context);
  for (size_t i = 0; i < Hash::kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  std::string out(Hash::kSize, '\0');
  Hash::Init(&context);
  Hash::Update(&context, pad, sizeof(pad));
  Hash::Update(&context, inner, sizeof(inner));
  Hash::Final(MutableBytes(out), &context);
  // The key (and what is derived from it) must not stay on the stack.
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
  OPENSSL_cleanse(inner, sizeof(inner));
  OPENSSL_cleanse(&context, sizeof(context));
  return out;
}

}  // namespace

absl::string_view Backend() {
#if defined(OPENSSL_IS_BORINGSSL)
  return "BoringSSL";
#else
  return "OpenSSL";
#endif
}

absl::Status RandomBytes(absl::Span<uint8_t> out) {
  if (out.empty()) return absl::OkStatus();
  if (out.size() > INT_MAX || RAND_bytes(out.data(), out.size()) != 1) {
    return absl::InternalError("CSPRNG failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RandomBytes(size_t size) {
  std::string out(size, '\0');
  absl::Status status = RandomBytes(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  if (!status.ok()) return status;
  return out;
}

std::string Sha256(absl::string_view data) {
  // The low-level context, not SHA256() or EVP_Digest: OpenSSL 3 looks the
  // digest up by name on each of those calls (0.41 us against 0.06 us for a
  // session token here, and a lock under contention), which showed in
  // profiles of session checks.
  std::string out(kSha256Size, '\0');
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, data.data(), data.size());
  SHA256_Final(MutableBytes(out), &context);
  return out;
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  return Hmac<Sha256Hash>(key, data);
}

std::string HmacSha1(absl::string_view key, absl::string_view data) {
  return Hmac<Sha1Hash>(key, data);
}

absl::StatusOr<std::string> Aes256GcmSeal(absl::string_view key,
                                          absl::string_view nonce,
                                          absl::string_view plaintext,
                                          absl::string_view associated_data) {
  if (absl::Status s = CheckAeadInputs(key, nonce, plaintext, associated_data);
      !s.ok()) {
    return s;
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + kGcmTagSize, '\0');
  int len = 0;
  int total = 0;
  bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key),
                         Bytes(nonce)) == 1 &&
      (associated_data.empty() ||
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                         static_cast<int>(associated_data.size())) == 1) &&
      EVP_EncryptUpdate(ctx.get(), MutableBytes(out), &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok &&
       EVP_EncryptFinal_ex(ctx.get(), MutableBytes(out) + total, &len) == 1;
  total += len;
  ok = ok && static_cast<size_t>(total) == plaintext.size() &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize,
                           MutableBytes(out) + total) == 1;
  if (!ok) return absl::InternalError("AES-GCM seal failed");
  return out;
}

absl::StatusOr<std::string> Aes256GcmOpen(absl::string_view key,
                                          absl::string_view nonce,
                                          absl::string_view ciphertext_and_tag,
                                          absl::string_view associated_data) {
  if (absl::Status s =
          CheckAeadInputs(key, nonce, ciphertext_and_tag, associated_data);
      !s.ok()) {
    return s;
  }
  if (ciphertext_and_tag.size() < kGcmTagSize) {
    return absl::PermissionDeniedError("AES-GCM message authentication failed");
  }
  const size_t text_size = ciphertext_and_tag.size() - kGcmTagSize;
  std::string tag(ciphertext_and_tag.substr(text_size));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(text_size, '\0');
  int len = 0;
  bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key),
                         Bytes(nonce)) == 1 &&
      (associated_data.empty() ||
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                         static_cast<int>(associated_data.size())) == 1) &&
      EVP_DecryptUpdate(ctx.get(), MutableBytes(out), &len,
                        Bytes(ciphertext_and_tag),
                        static_cast<int>(text_size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize,
                          MutableBytes(tag)) == 1;
  const int total = len;
  ok = ok &&
       EVP_DecryptFinal_ex(ctx.get(), MutableBytes(out) + total, &len) == 1;
  if (!ok) {
    Cleanse(out);
    return absl::PermissionDeniedError("AES-GCM message authentication failed");
  }
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void Cleanse(std::string& data) {
  if (!data.empty()) OPENSSL_cleanse(data.data(), data.size());
}

void Cleanse(absl::Span<uint8_t> data) {
  if (!data.empty()) OPENSSL_cleanse(data.data(), data.size());
}

}  // namespace identity::crypto
