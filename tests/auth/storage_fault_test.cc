// A storage fault in the middle of the work: the caller gets UNAVAILABLE,
// no secret leaves, and nothing is half-written.
#include "gtest/gtest.h"
#include "testing/auth_env.h"
#include "testing/faulty_store.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;
using testing::FaultyStore;

TEST(StorageFault, CreateAccessKeyFailsUnavailableAndLeavesNoKey) {
  AuthEnv env;
  FaultyStore faulty(*env.store);
  AccessKeyManager keys(faulty, *env.sealer, env.clock, SystemRandom(), 2);
  faulty.fail_writes = true;
  absl::StatusOr<CreatedAccessKey> created =
      keys.CreateAccessKey(env.alice, "", "during a fault");
  EXPECT_TRUE(absl::IsUnavailable(created.status())) << created.status();
  faulty.fail_writes = false;
  EXPECT_TRUE(keys.ListAccessKeys(env.alice, "").value().empty());
  // The slot was not consumed.
  EXPECT_TRUE(keys.CreateAccessKey(env.alice, "", "1").ok());
  EXPECT_TRUE(keys.CreateAccessKey(env.alice, "", "2").ok());
}

TEST(StorageFault, UserChangesFailUnavailableAndChangeNothing) {
  AuthEnv env;
  FaultyStore faulty(*env.store);
  UserManager users(faulty, env.hasher, env.throttle, env.clock, SystemRandom(),
                    PasswordPolicy{});
  faulty.fail_writes = true;
  NewUser bob;
  bob.user_name = "bob";
  bob.password = "bob-password-1";
  EXPECT_TRUE(absl::IsUnavailable(users.CreateUser(env.admin, bob).status()));
  EXPECT_TRUE(absl::IsUnavailable(
      users.SetPassword(env.admin, "alice", "another-password")));
  EXPECT_TRUE(absl::IsUnavailable(users.DeleteUser(env.admin, "alice")));
  faulty.fail_writes = false;
  EXPECT_TRUE(absl::IsNotFound(env.store->GetUserByName("bob").status()));
  env.Login("alice", AuthEnv::kAlicePassword);  // password unchanged
}

}  // namespace
}  // namespace identity::auth
