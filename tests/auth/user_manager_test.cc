#include "auth/user_manager.h"

#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;

NewUser User(const std::string& name) {
  NewUser user;
  user.user_name = name;
  user.password = "a fine password";
  return user;
}

TEST(UserManager, BootstrapHappensOnceOnAnEmptyStore) {
  AuthEnv env;  // bootstraps "root"
  EXPECT_FALSE(env.users.BootstrapAdmin("other", "another password").value());
  EXPECT_TRUE(absl::IsNotFound(env.store->GetUserByName("other").status()));
  EXPECT_EQ(env.store->GetUserByName("root").value().role(),
            storage::UserRecord::ADMIN);
}

TEST(UserManager, CreateStoresAHashNeverThePassword) {
  AuthEnv env;
  NewUser bob = User("bob");
  bob.display_name = "Bob";
  bob.email = "bob@example.com";
  bob.mobile = "+14155550123";
  storage::UserRecord created = env.users.CreateUser(env.admin, bob).value();
  EXPECT_EQ(created.user_name(), "bob");
  EXPECT_EQ(created.role(), storage::UserRecord::USER);
  storage::UserRecord stored = env.store->GetUserByName("bob").value();
  EXPECT_EQ(stored.email(), "bob@example.com");
  EXPECT_EQ(stored.mobile(), "+14155550123");
  EXPECT_EQ(stored.password_hash().rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(stored.SerializeAsString().find(bob.password), std::string::npos);
  env.Login("bob", bob.password);
}

TEST(UserManager, OnlyAdminsCreateUsers) {
  AuthEnv env;
  EXPECT_TRUE(absl::IsPermissionDenied(
      env.users.CreateUser(env.alice, User("bob")).status()));
}

TEST(UserManager, NamesAreUniqueWithoutRegardToCase) {
  AuthEnv env;
  EXPECT_TRUE(absl::IsAlreadyExists(
      env.users.CreateUser(env.admin, User("ALICE")).status()));
}

TEST(UserManager, RejectsBadFields) {
  AuthEnv env;
  NewUser bad = User("bob");
  bad.password = "short";
  EXPECT_TRUE(
      absl::IsInvalidArgument(env.users.CreateUser(env.admin, bad).status()));
  bad = User("bob");
  bad.email = "not-an-email";
  EXPECT_TRUE(
      absl::IsInvalidArgument(env.users.CreateUser(env.admin, bad).status()));
  bad = User("bob");
  bad.role = storage::UserRecord::ROLE_UNSPECIFIED;
  EXPECT_TRUE(
      absl::IsInvalidArgument(env.users.CreateUser(env.admin, bad).status()));
  EXPECT_TRUE(absl::IsNotFound(env.store->GetUserByName("bob").status()));
}

TEST(UserManager, GetUserSelfOrAdmin) {
  AuthEnv env;
  EXPECT_EQ(env.users.GetUser(env.alice, "").value().user_name(), "alice");
  EXPECT_EQ(env.users.GetUser(env.admin, "alice").value().user_name(), "alice");
  EXPECT_TRUE(
      absl::IsPermissionDenied(env.users.GetUser(env.alice, "root").status()));
}

}  // namespace
}  // namespace identity::auth
