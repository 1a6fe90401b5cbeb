#include "auth/password_hasher.h"

#include <argon2.h>

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace identity::auth {
namespace {

// Cheap parameters for the behaviour tests; the KATs pin real ones.
constexpr Argon2Params kFastParams = {64, 1, 1};

TEST(Argon2idRaw, MatchesRfc9106Vector) {
  // RFC 9106 section 5.3: Argon2id, m=32 KiB, t=3, p=4, with secret and
  // associated data.
  absl::StatusOr<std::string> tag =
      Argon2idRaw({32, 3, 4}, std::string(32, '\x01'), std::string(16, '\x02'),
                  std::string(8, '\x03'), std::string(12, '\x04'), 32);
  ASSERT_TRUE(tag.ok()) << tag.status();
  EXPECT_EQ(absl::BytesToHexString(*tag),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

TEST(PasswordHasher, VerifiesReferenceImplementationPhcVector) {
  // From the reference implementation's test suite (libargon2 test.c).
  const std::string phc =
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
      "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
  ASSERT_EQ(argon2id_verify(phc.c_str(), "password", 8), ARGON2_OK);
  PasswordHasher hasher(kFastParams);
  EXPECT_EQ(hasher.Verify("password", phc).value(), true);
  EXPECT_EQ(hasher.Verify("passwore", phc).value(), false);
}

TEST(PasswordHasher, HashIsOwaspPhcStringThatLibargon2Accepts) {
  PasswordHasher hasher;  // the production defaults
  absl::StatusOr<std::string> phc = hasher.Hash("correct horse battery");
  ASSERT_TRUE(phc.ok());
  EXPECT_EQ(phc->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *phc;
  EXPECT_EQ(argon2id_verify(phc->c_str(), "correct horse battery", 21),
            ARGON2_OK);
  EXPECT_TRUE(hasher.Verify("correct horse battery", *phc).value());
  EXPECT_FALSE(hasher.Verify("correct horse batterY", *phc).value());
}

TEST(PasswordHasher, SaltsDiffer) {
  PasswordHasher hasher(kFastParams);
  EXPECT_NE(hasher.Hash("same password").value(),
            hasher.Hash("same password").value());
}

TEST(PasswordHasher, LongPasswordsAreNotTruncated) {
  PasswordHasher hasher(kFastParams);
  const std::string long_password(300, 'a');
  const std::string phc = hasher.Hash(long_password).value();
  EXPECT_TRUE(hasher.Verify(long_password, phc).value());
  EXPECT_FALSE(hasher.Verify(long_password.substr(0, 299), phc).value());
  EXPECT_FALSE(hasher.Verify(long_password + "a", phc).value());
}

TEST(PasswordHasher, MalformedStoredHashIsAnErrorNotAMismatch) {
  PasswordHasher hasher(kFastParams);
  EXPECT_TRUE(absl::IsInvalidArgument(
      hasher.Verify("x", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
          .status()));
  EXPECT_FALSE(hasher.Verify("x", "").ok());
}

TEST(PasswordHasher, NeedsRehashWhenParametersDiffer) {
  PasswordHasher weak(kFastParams);
  PasswordHasher strong;
  const std::string old_hash = weak.Hash("pw-123456").value();
  EXPECT_TRUE(strong.NeedsRehash(old_hash));
  EXPECT_FALSE(weak.NeedsRehash(old_hash));
}

TEST(PasswordHasher, CountsComputations) {
  PasswordHasher hasher(kFastParams);
  const std::string phc = hasher.Hash("pw-123456").value();
  hasher.Verify("nope", phc).value();
  hasher.Verify("x", "garbage").status().IgnoreError();  // no Argon2 run
  EXPECT_EQ(hasher.computations(), 2u);
}

}  // namespace
}  // namespace identity::auth
