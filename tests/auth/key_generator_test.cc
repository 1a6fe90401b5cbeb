#include "auth/key_generator.h"

#include <map>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace identity::auth {
namespace {

bool AllIn(const std::string& s, absl::string_view alphabet) {
  return s.find_first_not_of(std::string(alphabet)) == std::string::npos;
}

TEST(KeyGenerator, AccessKeyIdIs20UpperAlphanumerics) {
  for (int i = 0; i < 100; ++i) {
    const std::string id = GenerateAccessKeyId(SystemRandom()).value();
    EXPECT_EQ(id.size(), 20u);
    EXPECT_TRUE(AllIn(id, kUpperAlphanumeric)) << id;
  }
}

TEST(KeyGenerator, SecretIs40Alphanumerics) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string secret = GenerateSecretAccessKey(SystemRandom()).value();
    EXPECT_EQ(secret.size(), 40u);
    EXPECT_TRUE(AllIn(secret, kAlphanumeric));
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(KeyGenerator, RejectsBytesAboveTheLargestMultiple) {
  // 62 characters: bytes 248..255 would bias the first 8 characters, so they
  // must be skipped, not folded in with a modulo.
  testing::ScriptedRandom random(std::string("\xf8\xff\xfc\x00\x3d\x3e", 6));
  const std::string s = RandomString(random, kAlphanumeric, 3).value();
  EXPECT_EQ(s, std::string() + kAlphanumeric[0] + kAlphanumeric[61] +
                   kAlphanumeric[0]);
}

TEST(KeyGenerator, DistributionIsRoughlyUniform) {
  // 36 symbols, 360,000 draws: each count should be near 10,000. A modulo
  // bias on 256 bytes would put the first 4 symbols about 14% higher.
  std::map<char, int> counts;
  const std::string s =
      RandomString(SystemRandom(), kUpperAlphanumeric, 360000).value();
  for (char c : s) ++counts[c];
  ASSERT_EQ(counts.size(), 36u);
  for (const auto& [c, n] : counts) {
    EXPECT_GT(n, 9400) << c;
    EXPECT_LT(n, 10600) << c;
  }
}

TEST(KeyGenerator, RefusesDegenerateAlphabets) {
  EXPECT_FALSE(RandomString(SystemRandom(), "a", 5).ok());
  EXPECT_FALSE(RandomString(SystemRandom(), "", 5).ok());
}

}  // namespace
}  // namespace identity::auth
