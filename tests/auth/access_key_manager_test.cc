#include "auth/access_key_manager.h"

#include "auth/error_reason.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;

TEST(AccessKeyManager, CreateReturnsKeyAndSecretThatOpensFromStore) {
  AuthEnv env;
  CreatedAccessKey created =
      env.keys.CreateAccessKey(env.alice, "", "ci deploy key").value();
  EXPECT_EQ(created.key.user_name, "alice");
  EXPECT_EQ(created.key.record.user_id(), env.alice.user_id);
  EXPECT_EQ(created.key.record.status(), storage::AccessKeyRecord::ACTIVE);
  EXPECT_EQ(created.key.record.description(), "ci deploy key");
  EXPECT_EQ(created.key.record.create_time_micros(),
            absl::ToUnixMicros(env.clock.Now()));
  EXPECT_FALSE(created.key.record.has_sealed_secret());
  EXPECT_EQ(created.secret_access_key.size(), 40u);

  // What is stored is sealed and opens to the secret handed out.
  storage::AccessKeyRecord stored =
      env.store->GetAccessKey(created.key.record.access_key_id()).value();
  // Compared without EXPECT_EQ, which would print the secret on failure.
  EXPECT_TRUE(env.sealer->Open(stored.access_key_id(), stored.sealed_secret())
                  .value() == created.secret_access_key);
}

TEST(AccessKeyManager, CreateAccessKey_ThirdKeyFailsWithLimitExceeded) {
  AuthEnv env;
  ASSERT_TRUE(env.keys.CreateAccessKey(env.alice, "", "one").ok());
  ASSERT_TRUE(env.keys.CreateAccessKey(env.alice, "", "two").ok());
  absl::Status third =
      env.keys.CreateAccessKey(env.alice, "", "three").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(third)) << third;
  EXPECT_EQ(ReasonOf(third), std::string(kAccessKeyLimitExceeded));
  EXPECT_EQ(env.keys.ListAccessKeys(env.alice, "").value().size(), 2u);
}

TEST(AccessKeyManager, LimitIsConfigurable) {
  AuthEnv env(/*max_keys_per_user=*/1);
  ASSERT_TRUE(env.keys.CreateAccessKey(env.alice, "", "").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      env.keys.CreateAccessKey(env.alice, "", "").status()));
}

TEST(AccessKeyManager, ListIsOldestFirstAndCarriesNoSecret) {
  AuthEnv env;
  CreatedAccessKey first = env.keys.CreateAccessKey(env.alice, "", "a").value();
  env.clock.Advance(absl::Seconds(1));
  CreatedAccessKey second =
      env.keys.CreateAccessKey(env.alice, "", "b").value();
  std::vector<OwnedAccessKey> keys =
      env.keys.ListAccessKeys(env.alice, "").value();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].record.access_key_id(), first.key.record.access_key_id());
  EXPECT_EQ(keys[1].record.access_key_id(), second.key.record.access_key_id());
  for (const OwnedAccessKey& key : keys) {
    EXPECT_FALSE(key.record.has_sealed_secret());
    EXPECT_EQ(key.user_name, "alice");
  }
}

TEST(AccessKeyManager, AdminActsForOthersUsersOnlyForThemselves) {
  AuthEnv env;
  ASSERT_TRUE(env.keys.CreateAccessKey(env.admin, "alice", "by admin").ok());
  EXPECT_EQ(env.keys.ListAccessKeys(env.admin, "alice").value().size(), 1u);
  EXPECT_EQ(env.keys.ListAccessKeys(env.alice, "alice").value().size(), 1u);
  EXPECT_TRUE(absl::IsPermissionDenied(
      env.keys.ListAccessKeys(env.alice, "root").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      env.keys.CreateAccessKey(env.alice, "root", "").status()));
  // A non-admin cannot probe which users exist.
  EXPECT_TRUE(absl::IsPermissionDenied(
      env.keys.ListAccessKeys(env.alice, "nobody").status()));
  EXPECT_TRUE(
      absl::IsNotFound(env.keys.ListAccessKeys(env.admin, "nobody").status()));
}

TEST(AccessKeyManager, BadInputIsInvalidArgumentNamingTheField) {
  AuthEnv env;
  absl::Status s =
      env.keys.CreateAccessKey(env.alice, "", std::string(256, 'd')).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message().rfind("description:", 0), 0u) << s;
  s = env.keys.CreateAccessKey(env.admin, "bad/name", "").status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message().rfind("user_name:", 0), 0u) << s;
  EXPECT_TRUE(env.keys.ListAccessKeys(env.alice, "").value().empty());
}

}  // namespace
}  // namespace identity::auth
