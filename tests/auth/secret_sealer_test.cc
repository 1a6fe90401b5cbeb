#include "auth/secret_sealer.h"

#include "gtest/gtest.h"

namespace identity::auth {
namespace {

KeyEncryptionKey Kek(char fill) {
  std::string key(32, fill);
  return {KeyEncryptionKeyId(key), key};
}

std::unique_ptr<SecretSealer> Sealer(std::vector<KeyEncryptionKey> keys) {
  return SecretSealer::New(std::move(keys)).value();
}

const char kSecret[] = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00";

TEST(SecretSealer, SealsAndOpens) {
  auto sealer = Sealer({Kek('a')});
  storage::SealedSecret sealed = sealer->Seal("AKID1", kSecret).value();
  EXPECT_EQ(sealed.kek_id(), Kek('a').id);
  EXPECT_EQ(sealed.nonce().size(), 12u);
  EXPECT_EQ(sealed.ciphertext().size(), sizeof(kSecret) - 1 + 16);
  EXPECT_EQ(sealed.ciphertext().find(kSecret), std::string::npos);
  EXPECT_EQ(sealer->Open("AKID1", sealed).value(), kSecret);
}

TEST(SecretSealer, FreshNonceEverySeal) {
  auto sealer = Sealer({Kek('a')});
  storage::SealedSecret a = sealer->Seal("AKID1", kSecret).value();
  storage::SealedSecret b = sealer->Seal("AKID1", kSecret).value();
  EXPECT_NE(a.nonce(), b.nonce());
  EXPECT_NE(a.ciphertext(), b.ciphertext());
}

TEST(SecretSealer, SecretMovedToAnotherKeyFailsClosed) {
  auto sealer = Sealer({Kek('a')});
  storage::SealedSecret sealed = sealer->Seal("AKID1", kSecret).value();
  EXPECT_TRUE(absl::IsDataLoss(sealer->Open("AKID2", sealed).status()));
}

TEST(SecretSealer, EveryFlippedBitFailsClosed) {
  auto sealer = Sealer({Kek('a')});
  const storage::SealedSecret sealed = sealer->Seal("AKID1", kSecret).value();
  for (size_t bit = 0; bit < sealed.ciphertext().size() * 8; ++bit) {
    storage::SealedSecret flipped = sealed;
    (*flipped.mutable_ciphertext())[bit / 8] ^=
        static_cast<char>(1 << (bit % 8));
    ASSERT_TRUE(absl::IsDataLoss(sealer->Open("AKID1", flipped).status()))
        << "bit " << bit;
  }
  for (size_t bit = 0; bit < sealed.nonce().size() * 8; ++bit) {
    storage::SealedSecret flipped = sealed;
    (*flipped.mutable_nonce())[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    ASSERT_FALSE(sealer->Open("AKID1", flipped).ok()) << "nonce bit " << bit;
  }
  storage::SealedSecret short_nonce = sealed;
  short_nonce.mutable_nonce()->pop_back();
  EXPECT_FALSE(sealer->Open("AKID1", short_nonce).ok());
}

TEST(SecretSealer, RotationSealsWithFirstAndOpensWithAny) {
  auto old_sealer = Sealer({Kek('a')});
  storage::SealedSecret old_sealed = old_sealer->Seal("AKID1", kSecret).value();
  auto rotated = Sealer({Kek('b'), Kek('a')});
  EXPECT_EQ(rotated->Open("AKID1", old_sealed).value(), kSecret);
  EXPECT_EQ(rotated->Seal("AKID2", kSecret).value().kek_id(), Kek('b').id);
}

TEST(SecretSealer, UnknownKekIsFailedPrecondition) {
  auto a = Sealer({Kek('a')});
  auto b = Sealer({Kek('b')});
  storage::SealedSecret sealed = a->Seal("AKID1", kSecret).value();
  EXPECT_TRUE(absl::IsFailedPrecondition(b->Open("AKID1", sealed).status()));
}

TEST(SecretSealer, RefusesBadKeys) {
  EXPECT_FALSE(SecretSealer::New({}).ok());
  EXPECT_FALSE(SecretSealer::New({{"id", "short"}}).ok());
}

}  // namespace
}  // namespace identity::auth
