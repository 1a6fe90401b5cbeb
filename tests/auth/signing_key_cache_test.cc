// The signing-key cache: what was inserted is found for the same sealed
// form and scope only, a re-sealed secret is not served, and the bound
// holds with the least recently used going first.
#include "auth/signing_key_cache.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace identity::auth {
namespace {

storage::SealedSecret Sealed(std::string nonce) {
  storage::SealedSecret sealed;
  sealed.set_kek_id("0123456789abcdef");
  sealed.set_nonce(std::move(nonce));
  sealed.set_ciphertext("ciphertext-and-tag");
  return sealed;
}

TEST(SigningKeyCache, FoundForTheSameKeySealedFormAndScopeOnly) {
  SigningKeyCache cache(8);
  EXPECT_FALSE(cache.Find("AK1", Sealed("n1"), "20261202/eu/s3").has_value());
  cache.Insert("AK1", Sealed("n1"), "20261202/eu/s3", "key-1");
  EXPECT_EQ(cache.Find("AK1", Sealed("n1"), "20261202/eu/s3"), "key-1");
  EXPECT_EQ(cache.Find("AK1", Sealed("n1"), "20261202/eu/s3"), "key-1");
  // Another scope (a new day), another key id: not found.
  EXPECT_FALSE(cache.Find("AK1", Sealed("n1"), "20261203/eu/s3").has_value());
  EXPECT_FALSE(cache.Find("AK2", Sealed("n1"), "20261202/eu/s3").has_value());
  EXPECT_FALSE(cache.Find("AK1", Sealed("n1"), "").has_value());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(SigningKeyCache, AResealedSecretIsNotServedAndItsEntryGoes) {
  SigningKeyCache cache(8);
  cache.Insert("AK1", Sealed("n1"), "", "old");
  // The record now holds another sealed form (rewrapped under a new KEK, or
  // the key deleted and its id reused): the old value must not be served.
  storage::SealedSecret resealed = Sealed("n1");
  resealed.set_kek_id("fedcba9876543210");
  EXPECT_FALSE(cache.Find("AK1", resealed, "").has_value());
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert("AK1", resealed, "", "new");
  EXPECT_EQ(cache.Find("AK1", resealed, ""), "new");
  EXPECT_FALSE(cache.Find("AK1", Sealed("n2"), "").has_value());
  EXPECT_FALSE(cache.Find("AK1", resealed, "").has_value());
}

TEST(SigningKeyCache, AnInsertReplacesTheEntry) {
  SigningKeyCache cache(8);
  cache.Insert("AK1", Sealed("n1"), "", "first");
  cache.Insert("AK1", Sealed("n1"), "", "second");
  EXPECT_EQ(cache.Find("AK1", Sealed("n1"), ""), "second");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(SigningKeyCache, TheLeastRecentlyUsedGoesFirstAndTheBoundHolds) {
  SigningKeyCache cache(3);
  auto insert = [&](int id) {
    cache.Insert(absl::StrCat("AK", id), Sealed("n"), "",
                 absl::StrCat("key-", id));
  };
  auto found = [&](int id) {
    return cache.Find(absl::StrCat("AK", id), Sealed("n"), "").has_value();
  };
  insert(1);
  insert(2);
  insert(3);
  EXPECT_TRUE(found(1));  // 2 is now the least recently used
  insert(4);              // evicts 2
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(found(2));
  EXPECT_TRUE(found(1));
  EXPECT_TRUE(found(3));
  EXPECT_TRUE(found(4));
  for (int id = 10; id < 100; ++id) insert(id);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(found(99));
  EXPECT_FALSE(found(1));
}

TEST(SigningKeyCache, NoEntriesMeansNoCache) {
  SigningKeyCache cache(0);
  cache.Insert("AK1", Sealed("n"), "", "k");
  EXPECT_FALSE(cache.Find("AK1", Sealed("n"), "").has_value());
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace identity::auth
