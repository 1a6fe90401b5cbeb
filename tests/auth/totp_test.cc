#include "auth/totp.h"

#include "gtest/gtest.h"

namespace identity::auth::totp {
namespace {

// RFC 6238 appendix B, SHA-1 rows: the 20-byte ASCII key, 8 digits.
constexpr char kRfcKey[] = "12345678901234567890";

TEST(Totp, MatchesRfc6238TestVectors) {
  const struct {
    int64_t unix_seconds;
    const char* code;
  } vectors[] = {{59, "94287082"},         {1111111109, "07081804"},
                 {1111111111, "14050471"}, {1234567890, "89005924"},
                 {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& v : vectors) {
    const int64_t step = TimeStep(absl::FromUnixSeconds(v.unix_seconds));
    EXPECT_EQ(Code(kRfcKey, step, 8), v.code) << v.unix_seconds;
  }
}

TEST(Totp, SixDigitCodesAreTheLowDigitsZeroPadded) {
  // 07081804 -> 081804: the leading zero is kept.
  EXPECT_EQ(Code(kRfcKey, TimeStep(absl::FromUnixSeconds(1111111109))),
            "081804");
}

TEST(Totp, StepsAreThirtySeconds) {
  EXPECT_EQ(TimeStep(absl::FromUnixSeconds(29)), 0);
  EXPECT_EQ(TimeStep(absl::FromUnixSeconds(30)), 1);
  EXPECT_EQ(TimeStep(absl::FromUnixSeconds(59)), 1);
}

TEST(Totp, Base32FollowsRfc4648WithoutPadding) {
  EXPECT_EQ(Base32(""), "");
  EXPECT_EQ(Base32("f"), "MY");
  EXPECT_EQ(Base32("fooba"), "MZXW6YTB");
  EXPECT_EQ(Base32("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(Base32(kRfcKey), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(Totp, ProvisioningUriCarriesTheParametersAppsRead) {
  EXPECT_EQ(ProvisioningUri("Acme Identity", "alice@corp", kRfcKey),
            "otpauth://totp/Acme%20Identity:alice%40corp?secret="
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20Identity"
            "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace identity::auth::totp
