// Known-answer tests of the crypto wrapper. This file is built twice: against
// OpenSSL 3 (the libcrypto gRPC links) and against BoringSSL, in a binary
// without gRPC. Both must produce the published answers.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "absl/strings/escaping.h"
#include "auth/crypto.h"
#include "gtest/gtest.h"

namespace identity::crypto {
namespace {

std::string Hex(absl::string_view hex) { return absl::HexStringToBytes(hex); }
std::string ToHex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

// IDENTITY_EXPECTED_CRYPTO_BACKEND is set by tests/auth/CMakeLists.txt.
TEST(CryptoKnownAnswer, RunsOnTheIntendedLibrary) {
  EXPECT_EQ(Backend(), IDENTITY_EXPECTED_CRYPTO_BACKEND);
}

TEST(CryptoKnownAnswer, Sha256_FipsVectors) {
  EXPECT_EQ(ToHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      ToHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(CryptoKnownAnswer, HmacSha256_Rfc4231) {
  // Test cases 1, 2, 3 and 6 of RFC 4231.
  EXPECT_EQ(ToHex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(ToHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(ToHex(HmacSha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(ToHex(HmacSha256(
                std::string(131, '\xaa'),
                "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(CryptoKnownAnswer, HmacSha256_Rfc4231LongKeyAndData) {
  // Test case 7 of RFC 4231: a key and data longer than the block.
  EXPECT_EQ(
      ToHex(HmacSha256(
          std::string(131, '\xaa'),
          "This is a test using a larger than block-size key and a larger "
          "than block-size data. The key needs to be hashed before being "
          "used by the HMAC algorithm.")),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// Our HMAC is built on the hash contexts; the library's own HMAC() is the
// reference, for every key length around the block size and data lengths
// that cross it.
TEST(CryptoKnownAnswer, HmacMatchesTheLibrarysForEveryKeyLength) {
  for (size_t key_size : {0, 1, 20, 32, 63, 64, 65, 100, 128, 129, 200}) {
    for (size_t data_size : {0, 1, 55, 56, 63, 64, 65, 119, 120, 1000}) {
      std::string key(key_size, '\0');
      std::string data(data_size, '\0');
      for (size_t i = 0; i < key_size; ++i) key[i] = char(i * 7 + 1);
      for (size_t i = 0; i < data_size; ++i) data[i] = char(i * 13 + 5);
      uint8_t expected[EVP_MAX_MD_SIZE];
      unsigned int length = 0;
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const uint8_t*>(data.data()), data.size(), expected,
           &length);
      EXPECT_EQ(HmacSha256(key, data),
                std::string(reinterpret_cast<char*>(expected), length))
          << key_size << " " << data_size;
      HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const uint8_t*>(data.data()), data.size(), expected,
           &length);
      EXPECT_EQ(HmacSha1(key, data),
                std::string(reinterpret_cast<char*>(expected), length))
          << key_size << " " << data_size;
    }
  }
}

TEST(CryptoKnownAnswer, HmacSha1_Rfc2202) {
  EXPECT_EQ(ToHex(HmacSha1(std::string(20, '\x0b'), "Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(ToHex(HmacSha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  // Test case 6: a key longer than the block.
  EXPECT_EQ(ToHex(HmacSha1(std::string(80, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key "
                           "First")),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

struct GcmVector {
  const char* name;
  const char* key;
  const char* nonce;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

// Test cases 13 to 16 of McGrew and Viega, "The Galois/Counter Mode of
// Operation", the AES-256 vectors NIST's GCM specification uses.
const GcmVector kGcmVectors[] = {
    {"case13",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case14",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case15",
     "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"case16",
     "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(CryptoKnownAnswer, Aes256Gcm_SealMatchesVectors) {
  for (const GcmVector& v : kGcmVectors) {
    SCOPED_TRACE(v.name);
    absl::StatusOr<std::string> sealed =
        Aes256GcmSeal(Hex(v.key), Hex(v.nonce), Hex(v.plaintext), Hex(v.aad));
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    EXPECT_EQ(ToHex(*sealed), std::string(v.ciphertext) + v.tag);
  }
}

TEST(CryptoKnownAnswer, Aes256Gcm_OpenMatchesVectors) {
  for (const GcmVector& v : kGcmVectors) {
    SCOPED_TRACE(v.name);
    absl::StatusOr<std::string> opened =
        Aes256GcmOpen(Hex(v.key), Hex(v.nonce),
                      Hex(std::string(v.ciphertext) + v.tag), Hex(v.aad));
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(ToHex(*opened), v.plaintext);
  }
}

TEST(CryptoKnownAnswer, Aes256Gcm_AnyAlterationFailsToOpen) {
  const GcmVector& v = kGcmVectors[3];
  const std::string key = Hex(v.key), nonce = Hex(v.nonce), aad = Hex(v.aad);
  const std::string sealed = Hex(std::string(v.ciphertext) + v.tag);
  for (size_t bit = 0; bit < sealed.size() * 8; bit += 7) {
    std::string flipped = sealed;
    flipped[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    EXPECT_TRUE(absl::IsPermissionDenied(
        Aes256GcmOpen(key, nonce, flipped, aad).status()))
        << "bit " << bit;
  }
  std::string other_key = key;
  other_key[0] ^= 1;
  EXPECT_FALSE(Aes256GcmOpen(other_key, nonce, sealed, aad).ok());
  std::string other_nonce = nonce;
  other_nonce[11] ^= 1;
  EXPECT_FALSE(Aes256GcmOpen(key, other_nonce, sealed, aad).ok());
  EXPECT_FALSE(Aes256GcmOpen(key, nonce, sealed, aad + "x").ok());
  EXPECT_FALSE(Aes256GcmOpen(key, nonce, sealed.substr(0, 15), aad).ok());
}

TEST(CryptoKnownAnswer, Aes256Gcm_RejectsWrongSizes) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      Aes256GcmSeal(std::string(16, 'k'), std::string(12, 'n'), "p", "")
          .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      Aes256GcmSeal(std::string(32, 'k'), std::string(16, 'n'), "p", "")
          .status()));
}

TEST(Crypto, RandomBytes_FillsAndDiffers) {
  absl::StatusOr<std::string> a = RandomBytes(32);
  absl::StatusOr<std::string> b = RandomBytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, std::string(32, '\0'));
}

TEST(Crypto, ConstantTimeEquals_ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret1"));
}

TEST(Crypto, Cleanse_ZeroesTheBytes) {
  std::string s = "sensitive";
  Cleanse(s);
  EXPECT_EQ(s, std::string(9, '\0'));
}

}  // namespace
}  // namespace identity::crypto
