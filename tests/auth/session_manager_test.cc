#include "auth/session_manager.h"

#include "absl/strings/match.h"
#include "auth/crypto.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;

TEST(SessionManager, TokensAreRandomPrefixedAndStoredOnlyAsHashes) {
  AuthEnv env;
  IssuedSession a = env.sessions.Start(env.alice).value();
  IssuedSession b = env.sessions.Start(env.alice).value();
  EXPECT_TRUE(absl::StartsWith(a.token, "idt_"));
  EXPECT_EQ(a.token.size(), 47u);
  EXPECT_TRUE(a.token != b.token);  // EXPECT_NE would print the tokens
  EXPECT_EQ(a.expire_time, env.clock.Now() + absl::Hours(1));
  EXPECT_TRUE(env.store->GetSession(crypto::Sha256(a.token)).ok());
  EXPECT_TRUE(absl::IsNotFound(env.store->GetSession(a.token).status()));
}

TEST(SessionManager, ResolvesUntilExpiryAndThePurgeForgetsIt) {
  AuthEnv env;
  IssuedSession issued = env.sessions.Start(env.alice).value();
  SessionManager::Resolved resolved =
      env.sessions.Resolve(issued.token).value();
  EXPECT_EQ(resolved.user_id, env.alice.user_id);
  EXPECT_EQ(resolved.token_hash, crypto::Sha256(issued.token));
  env.clock.Advance(absl::Hours(1));
  EXPECT_TRUE(
      absl::IsUnauthenticated(env.sessions.Resolve(issued.token).status()));
  // Resolving only reads; the purge deletes.
  EXPECT_TRUE(env.store->GetSession(crypto::Sha256(issued.token)).ok());
  EXPECT_EQ(env.sessions.PurgeExpired().value(), 1);
  EXPECT_TRUE(absl::IsNotFound(
      env.store->GetSession(crypto::Sha256(issued.token)).status()));
}

TEST(SessionManager, EndRevokesAndForgeriesFail) {
  AuthEnv env;
  IssuedSession issued = env.sessions.Start(env.alice).value();
  ASSERT_TRUE(env.sessions.End(crypto::Sha256(issued.token)).ok());
  EXPECT_TRUE(
      absl::IsUnauthenticated(env.sessions.Resolve(issued.token).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(
      env.sessions.Resolve("idt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
          .status()));
  EXPECT_TRUE(absl::IsUnauthenticated(env.sessions.Resolve("x").status()));
}

TEST(SessionManager, PurgeDeletesOnlyExpiredSessions) {
  AuthEnv env;
  IssuedSession old_session = env.sessions.Start(env.alice).value();
  env.clock.Advance(absl::Minutes(40));
  IssuedSession young = env.sessions.Start(env.alice).value();
  env.clock.Advance(absl::Minutes(30));
  EXPECT_EQ(env.sessions.PurgeExpired().value(), 1);
  EXPECT_TRUE(env.sessions.Resolve(young.token).ok());
  EXPECT_TRUE(absl::IsNotFound(
      env.store->GetSession(crypto::Sha256(old_session.token)).status()));
}

TEST(Authenticator, BearerGivesAPrincipalWithoutPasswordProof) {
  AuthEnv env;
  IssuedSession issued = env.sessions.Start(env.alice).value();
  Credentials bearer;
  bearer.bearer_token = issued.token;
  Principal p = env.authenticator->Authenticate(bearer).value();
  EXPECT_EQ(p.user_name, "alice");
  EXPECT_FALSE(p.password_verified);
  EXPECT_EQ(p.session_token_hash, crypto::Sha256(issued.token));
  EXPECT_TRUE(env.alice.password_verified);
  EXPECT_TRUE(env.alice.session_token_hash.empty());
  // Creating a key needs the password, whoever asks.
  EXPECT_TRUE(
      absl::IsUnauthenticated(env.keys.CreateAccessKey(p, "", "").status()));
}

TEST(Authenticator, RehashesAnOutdatedHashOnLogin) {
  AuthEnv env;
  const std::string before =
      env.store->GetUserByName("alice").value().password_hash();
  PasswordHasher stronger({128, 1, 1});
  SessionManager sessions(*env.store, env.clock, SystemRandom(),
                          absl::Hours(1));
  LoginThrottle throttle(*env.store, env.clock, *env.sealer, LockoutPolicy{});
  auto authenticator = Authenticator::New(*env.store, stronger, sessions,
                                          throttle, env.mfa, env.codes)
                           .value();
  Credentials basic;
  basic.password = Credentials::Password{"alice", AuthEnv::kAlicePassword};
  ASSERT_TRUE(authenticator->Authenticate(basic).ok());
  const std::string after =
      env.store->GetUserByName("alice").value().password_hash();
  EXPECT_NE(after, before);
  EXPECT_EQ(after.rfind("$argon2id$v=19$m=128,t=1,p=1$", 0), 0u) << after;
  EXPECT_TRUE(authenticator->Authenticate(basic).ok());
}

}  // namespace
}  // namespace identity::auth
