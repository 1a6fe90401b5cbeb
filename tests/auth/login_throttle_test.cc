#include "auth/login_throttle.h"

#include <atomic>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "auth/error_reason.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"
#include "testing/faulty_store.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;
using testing::FaultyStore;

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

  env.clock.Advance(absl::Minutes(1));
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

TEST(LoginThrottle, TheNameLockSurvivesARestartAndCoversEveryAddress) {
  AuthEnv env;
  LockoutPolicy policy;
  policy.max_failures_per_name = 10;
  LoginThrottle throttle(*env.store, env.clock, *env.sealer, policy);
  for (const char* address : {"10.0.0.1", "10.0.0.2"}) {
    for (int i = 0; i < 5; ++i) {
      LoginThrottle::Ticket ticket =
          throttle.Admit("ghost", false, address).value();
      ASSERT_TRUE(ticket.Failed().ok());
    }
  }
  EXPECT_TRUE(IsLockedOut(throttle.Admit("ghost", false, "10.0.0.3").status()));
  // A new throttle over the same store, as after a restart: the pairs'
  // locks were in memory, the name's is stored.
  LoginThrottle restarted(*env.store, env.clock, *env.sealer, policy);
  EXPECT_TRUE(
      IsLockedOut(restarted.Admit("Ghost", false, "10.0.0.4").status()));
  env.clock.Advance(absl::Minutes(15));
  EXPECT_TRUE(restarted.Admit("ghost", false, "10.0.0.4").ok());
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
    tickets.push_back(env.throttle.Admit("alice", true, "").value());
  }
  absl::Status sixth = env.throttle.Admit("alice", true, "").status();
  EXPECT_TRUE(absl::IsResourceExhausted(sixth)) << sixth;
  tickets.back().Succeeded();
  tickets.pop_back();
  EXPECT_TRUE(env.throttle.Admit("alice", true, "").ok());
}

// Both sides of the lock, measured: an attacker at one address retrying
// as soon as each lock ends gets few guesses an hour, and the owner at
// another address is never refused.
TEST(LoginThrottle, AnAttackerLocksOnlyThemselvesAndGetsFewGuessesAnHour) {
  AuthEnv env;
  const absl::Time start = env.clock.Now();
  const uint64_t argon2_before = env.hasher.computations();
  int owner_refused = 0;
  uint64_t first_hour_guesses = 0;
  for (int minute = 0; minute < 120; ++minute) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      env.authenticator
          ->Authenticate(Basic("alice", "guess-" + std::to_string(attempt),
                               "198.51.100.66"))
          .status()
          .IgnoreError();
    }
    if (!env.authenticator
             ->Authenticate(
                 Basic("alice", AuthEnv::kAlicePassword, "192.0.2.7"))
             .ok()) {
      ++owner_refused;
    }
    env.clock.Advance(absl::Minutes(1));
    if (env.clock.Now() - start == absl::Hours(1)) {
      first_hour_guesses = env.hasher.computations() - argon2_before;
    }
  }
  const uint64_t guesses = env.hasher.computations() - argon2_before;
  // Locks of 1, 2, 4, 8, 16, 32 and then 60 minutes: 5 guesses each.
  // (The owner's sign-ins are Argon2 runs too: one a minute.)
  EXPECT_EQ(owner_refused, 0);
  EXPECT_LE(first_hour_guesses - 60, 35u);
  EXPECT_LE(guesses - first_hour_guesses - 60, 10u);
  std::cout << "attacker guesses: first hour " << first_hour_guesses - 60
            << ", second hour " << guesses - first_hour_guesses - 60
            << "; owner refused " << owner_refused << " of 120\n";
}

TEST(LoginThrottle, EachLockOfAPairLastsTwiceAsLong) {
  AuthEnv env;
  auto fail_five = [&] {
    for (int i = 0; i < 5; ++i) {
      env.authenticator->Authenticate(Basic("alice", "wrong", "10.1.1.1"))
          .status()
          .IgnoreError();
    }
  };
  auto locked = [&] {
    return IsLockedOut(
        env.authenticator->Authenticate(Basic("alice", "wrong", "10.1.1.1"))
            .status());
  };
  fail_five();
  EXPECT_TRUE(locked());
  env.clock.Advance(absl::Minutes(1));
  fail_five();
  env.clock.Advance(absl::Seconds(119));
  EXPECT_TRUE(locked());
  env.clock.Advance(absl::Seconds(1));
  fail_five();
  env.clock.Advance(absl::Seconds(239));
  EXPECT_TRUE(locked());
  env.clock.Advance(absl::Seconds(1));
  // The right password ends the doubling.
  ASSERT_TRUE(
      env.authenticator
          ->Authenticate(Basic("alice", AuthEnv::kAlicePassword, "10.1.1.1"))
          .ok());
  fail_five();
  env.clock.Advance(absl::Minutes(1));
  EXPECT_FALSE(locked());
}

TEST(LoginThrottle, ManyAddressesTogetherLockTheNameForEveryone) {
  AuthEnv env;
  for (int address = 0; address < 10; ++address) {
    for (int i = 0; i < 5; ++i) {
      env.authenticator
          ->Authenticate(
              Basic("alice", "guess", "203.0.113." + std::to_string(address)))
          .status()
          .IgnoreError();
    }
  }
  EXPECT_TRUE(IsLockedOut(
      env.authenticator
          ->Authenticate(Basic("alice", AuthEnv::kAlicePassword, "192.0.2.7"))
          .status()));
  env.clock.Advance(absl::Minutes(15));
  EXPECT_TRUE(
      env.authenticator
          ->Authenticate(Basic("alice", AuthEnv::kAlicePassword, "192.0.2.7"))
          .ok());
}

TEST(LoginThrottle, FailuresTheStoreCannotRecordRefuseTheAttempt) {
  AuthEnv env;
  FaultyStore faulty(*env.store);
  LoginThrottle throttle(faulty, env.clock, *env.sealer, LockoutPolicy{});
  auto authenticator = Authenticator::New(faulty, env.hasher, env.sessions,
                                          throttle, env.mfa, env.codes)
                           .value();
  faulty.fail_writes = true;
  int answered_ok = 0;
  for (int i = 0; i < 12; ++i) {
    absl::Status s =
        authenticator
            ->Authenticate(Basic("alice", "wrong-password", "10.2.2.2"))
            .status();
    EXPECT_FALSE(s.ok());
    if (s.ok()) ++answered_ok;
  }
  // The right password, still during the outage and from a fresh address:
  // the name has an uncounted failure, so it is refused, not admitted.
  absl::Status right =
      authenticator
          ->Authenticate(Basic("alice", AuthEnv::kAlicePassword, "10.2.2.3"))
          .status();
  EXPECT_TRUE(absl::IsUnavailable(right)) << right;
  EXPECT_EQ(answered_ok, 0);
  // Once the store writes again, the failure is counted first.
  faulty.fail_writes = false;
  EXPECT_TRUE(
      authenticator
          ->Authenticate(Basic("alice", AuthEnv::kAlicePassword, "10.2.2.3"))
          .ok());
}

TEST(LoginThrottle, NamesOfNoUserAreRecordedOnlyAsAKeyedHash) {
  AuthEnv env;
  const std::string typed = "Hunter2-Password";
  env.authenticator->Authenticate(Basic(typed, "x-password", "10.3.3.3"))
      .status()
      .IgnoreError();
  env.authenticator->Authenticate(Basic("alice", "x-password", "10.3.3.3"))
      .status()
      .IgnoreError();
  std::vector<storage::AuditEventRecord> events =
      env.store->ListAuditEvents(storage::AuditQuery{}).value();
  bool alice_recorded = false;
  for (const storage::AuditEventRecord& event : events) {
    EXPECT_EQ(absl::AsciiStrToLower(event.DebugString())
                  .find(absl::AsciiStrToLower(typed)),
              std::string::npos);
    if (event.user_name() == "alice") alice_recorded = true;
  }
  EXPECT_TRUE(alice_recorded);
  EXPECT_EQ(env.store->GetLoginAttempts(typed).value().consecutive_failures(),
            0);
  EXPECT_EQ(env.store->GetLoginAttempts(env.throttle.RecordedName(typed, false))
                .value()
                .consecutive_failures(),
            1);
}

}  // namespace
}  // namespace identity::auth
