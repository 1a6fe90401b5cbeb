// 64 threads doing mixed create / delete / update on a few users for
// thousands of operations, checking the limit after every step.
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;

TEST(AccessKeyRace, SixtyFourThreadsNeverBreakTheLimit) {
  AuthEnv env;
  std::vector<Principal> users;
  for (int u = 0; u < 4; ++u) {
    NewUser user;
    user.user_name = absl::StrCat("racer", u);
    user.password = "racer-password";
    ASSERT_TRUE(env.users.CreateUser(env.admin, user).ok());
    users.push_back(env.Login(user.user_name, user.password));
  }
  constexpr int kThreads = 64;
  constexpr int kOpsPerThread = 60;
  std::atomic<int> created{0}, deleted{0}, updated{0}, limited{0};
  std::atomic<int> over_limit{0}, unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kOpsPerThread; ++i) {
        const Principal& user = users[rng() % users.size()];
        absl::Status status;
        switch (rng() % 3) {
          case 0: {
            status = env.keys.CreateAccessKey(user, "", "race").status();
            if (status.ok()) ++created;
            if (absl::IsFailedPrecondition(status)) {
              ++limited;
              status = absl::OkStatus();
            }
            break;
          }
          case 1:
          case 2: {
            absl::StatusOr<std::vector<OwnedAccessKey>> keys =
                env.keys.ListAccessKeys(user, "");
            if (!keys.ok()) {
              status = keys.status();
              break;
            }
            if (keys->empty()) break;
            const std::string id =
                (*keys)[rng() % keys->size()].record.access_key_id();
            if (rng() % 2 == 0) {
              status = env.keys.DeleteAccessKey(user, id);
              if (status.ok()) ++deleted;
            } else {
              status =
                  env.keys
                      .UpdateAccessKey(user, id,
                                       rng() % 2 == 0
                                           ? storage::AccessKeyRecord::ACTIVE
                                           : storage::AccessKeyRecord::INACTIVE,
                                       std::nullopt)
                      .status();
              if (status.ok()) ++updated;
            }
            // Another thread may have deleted it first.
            if (absl::IsNotFound(status)) status = absl::OkStatus();
            break;
          }
        }
        if (!status.ok()) {
          ++unexpected;
          ADD_FAILURE() << status;
        }
        absl::StatusOr<std::vector<OwnedAccessKey>> after =
            env.keys.ListAccessKeys(user, "");
        if (after.ok() && after->size() > 2) ++over_limit;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(over_limit.load(), 0);
  EXPECT_EQ(unexpected.load(), 0);
  // The mix really exercised every path.
  EXPECT_GT(created.load(), 50);
  EXPECT_GT(deleted.load(), 50);
  EXPECT_GT(updated.load(), 50);
  EXPECT_GT(limited.load(), 0);
  size_t held = 0;
  for (const Principal& user : users) {
    std::vector<OwnedAccessKey> keys =
        env.keys.ListAccessKeys(user, "").value();
    EXPECT_LE(keys.size(), 2u);
    held += keys.size();
  }
  EXPECT_EQ(static_cast<int>(held), created.load() - deleted.load());
}

}  // namespace
}  // namespace identity::auth
