#include "auth/login_throttle.h"

#include <atomic>
#include <thread>
#include <vector>

#include "auth/error_reason.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;

Credentials Basic(const std::string& name, const std::string& password,
                  const std::string& address = "") {
  Credentials credentials;
  credentials.password = Credentials::Password{name, password};
  credentials.client_address = address;
  return credentials;
}

bool IsLockedOut(const absl::Status& status) {
  return absl::IsUnauthenticated(status) &&
         ReasonOf(status) == std::string(kTooManyAttempts);
}

TEST(LoginThrottle, LocksAfterFiveFailuresAndThenSkipsArgon2) {
  AuthEnv env;
  for (int i = 0; i < 5; ++i) {
    absl::Status s =
        env.authenticator->Authenticate(Basic("alice", "wrong-password"))
            .status();
    EXPECT_TRUE(absl::IsUnauthenticated(s));
    EXPECT_FALSE(IsLockedOut(s)) << "attempt " << i;
  }
  const uint64_t before = env.hasher.computations();
  EXPECT_TRUE(IsLockedOut(
      env.authenticator->Authenticate(Basic("alice", "wrong-password"))
          .status()));
  // Even the right password waits out the lock.
  EXPECT_TRUE(IsLockedOut(
      env.authenticator->Authenticate(Basic("ALICE", AuthEnv::kAlicePassword))
          .status()));
  EXPECT_EQ(env.hasher.computations(), before);

  env.clock.Advance(absl::Minutes(15));
  EXPECT_TRUE(
      env.authenticator->Authenticate(Basic("alice", AuthEnv::kAlicePassword))
          .ok());
}

TEST(LoginThrottle, FloodOf1000From20ThreadsRunsArgon2AtMostFiveTimes) {
  AuthEnv env;
  const uint64_t before = env.hasher.computations();
  std::atomic<int> locked{0}, busy{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        absl::Status s =
            env.authenticator->Authenticate(Basic("alice", "guess")).status();
        if (IsLockedOut(s)) {
          ++locked;
        } else if (absl::IsResourceExhausted(s)) {
          ++busy;
        } else if (absl::IsUnauthenticated(s)) {
          ++wrong;
        } else {
          ADD_FAILURE() << s;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(env.hasher.computations() - before, 5u);
  EXPECT_EQ(wrong.load(), 5);
  EXPECT_EQ(locked.load() + busy.load() + wrong.load(), 1000);

  env.clock.Advance(absl::Minutes(15) + absl::Seconds(1));
  EXPECT_TRUE(
      env.authenticator->Authenticate(Basic("alice", AuthEnv::kAlicePassword))
          .ok());
}

TEST(LoginThrottle, SuccessResetsTheCount) {
  AuthEnv env;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) {
      env.authenticator->Authenticate(Basic("alice", "nope-nope"))
          .status()
          .IgnoreError();
    }
    ASSERT_TRUE(
        env.authenticator->Authenticate(Basic("alice", AuthEnv::kAlicePassword))
            .ok())
        << "round " << round;
  }
}

TEST(LoginThrottle, UnknownNamesLockAlikeAndTheLockSurvivesARestart) {
  AuthEnv env;
  for (int i = 0; i < 5; ++i) {
    env.authenticator->Authenticate(Basic("ghost", "x-password"))
        .status()
        .IgnoreError();
  }
  EXPECT_TRUE(IsLockedOut(
      env.authenticator->Authenticate(Basic("ghost", "x-password")).status()));
  // A new throttle over the same store, as after a restart.
  LoginThrottle restarted(*env.store, env.clock, LockoutPolicy{});
  EXPECT_TRUE(IsLockedOut(restarted.Admit("Ghost", "").status()));
}

TEST(LoginThrottle, AdminUnlockLiftsTheLock) {
  AuthEnv env;
  for (int i = 0; i < 5; ++i) {
    env.authenticator->Authenticate(Basic("alice", "wrong-pass"))
        .status()
        .IgnoreError();
  }
  EXPECT_TRUE(
      absl::IsPermissionDenied(env.users.UnlockUser(env.alice, "alice")));
  ASSERT_TRUE(env.users.UnlockUser(env.admin, "alice").ok());
  EXPECT_TRUE(
      env.authenticator->Authenticate(Basic("alice", AuthEnv::kAlicePassword))
          .ok());
}

TEST(LoginThrottle, OneAddressCannotSprayManyNames) {
  AuthEnv env;
  for (int i = 0; i < 30; ++i) {
    env.authenticator
        ->Authenticate(Basic("user" + std::to_string(i), "guess-1", "10.0.0.9"))
        .status()
        .IgnoreError();
  }
  const uint64_t before = env.hasher.computations();
  EXPECT_TRUE(IsLockedOut(
      env.authenticator->Authenticate(Basic("fresh-name", "guess", "10.0.0.9"))
          .status()));
  EXPECT_EQ(env.hasher.computations(), before);
  // Another address is not affected, and the window passes.
  EXPECT_TRUE(
      env.authenticator
          ->Authenticate(Basic("alice", AuthEnv::kAlicePassword, "10.0.0.10"))
          .ok());
  env.clock.Advance(absl::Minutes(1));
  EXPECT_TRUE(
      env.authenticator
          ->Authenticate(Basic("alice", AuthEnv::kAlicePassword, "10.0.0.9"))
          .ok());
}

TEST(LoginThrottle, ConcurrentChecksBeyondTheFailuresLeftAreRetriable) {
  AuthEnv env;
  std::vector<LoginThrottle::Ticket> tickets;
  for (int i = 0; i < 5; ++i) {
    tickets.push_back(env.throttle.Admit("alice", "").value());
  }
  absl::Status sixth = env.throttle.Admit("alice", "").status();
  EXPECT_TRUE(absl::IsResourceExhausted(sixth)) << sixth;
  tickets.back().Succeeded();
  tickets.pop_back();
  EXPECT_TRUE(env.throttle.Admit("alice", "").ok());
}

}  // namespace
}  // namespace identity::auth
