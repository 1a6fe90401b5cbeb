#include "auth/authenticator.h"

#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;

Credentials Basic(const std::string& name, const std::string& password) {
  Credentials credentials;
  credentials.password = Credentials::Password{name, password};
  return credentials;
}

TEST(Authenticator, RightPasswordGivesPrincipal) {
  AuthEnv env;
  Principal p =
      env.authenticator->Authenticate(Basic("alice", AuthEnv::kAlicePassword))
          .value();
  EXPECT_EQ(p.user_name, "alice");
  EXPECT_FALSE(p.is_admin);
  EXPECT_EQ(p.user_id.size(), 20u);
  EXPECT_TRUE(env.admin.is_admin);
}

TEST(Authenticator, UserNameIsCaseInsensitive) {
  AuthEnv env;
  EXPECT_EQ(
      env.authenticator->Authenticate(Basic("ALICE", AuthEnv::kAlicePassword))
          .value()
          .user_name,
      "alice");
}

TEST(Authenticator, UnknownUserAndWrongPasswordLookAlikeAndBothPayArgon2) {
  AuthEnv env;
  const uint64_t before = env.hasher.computations();
  absl::Status wrong =
      env.authenticator->Authenticate(Basic("alice", "wrong-password"))
          .status();
  absl::Status unknown =
      env.authenticator->Authenticate(Basic("mallory", "wrong-password"))
          .status();
  EXPECT_TRUE(absl::IsUnauthenticated(wrong));
  EXPECT_EQ(wrong, unknown);  // same code, same message
  EXPECT_EQ(env.hasher.computations() - before, 2u);
}

TEST(Authenticator, MissingOrUnsupportedCredentialsAreUnauthenticated) {
  AuthEnv env;
  EXPECT_TRUE(
      absl::IsUnauthenticated(env.authenticator->Authenticate({}).status()));
  Credentials bearer;
  bearer.bearer_token = "abc";
  EXPECT_TRUE(absl::IsUnauthenticated(
      env.authenticator->Authenticate(bearer).status()));
}

TEST(Authenticator, MalformedNameFailsWithoutArgon2) {
  AuthEnv env;
  const uint64_t before = env.hasher.computations();
  absl::Status s =
      env.authenticator->Authenticate(Basic("bad name!", "x")).status();
  EXPECT_TRUE(absl::IsUnauthenticated(s));
  EXPECT_EQ(s.message(), kInvalidCredentialsMessage);
  EXPECT_EQ(env.hasher.computations(), before);
}

}  // namespace
}  // namespace identity::auth
