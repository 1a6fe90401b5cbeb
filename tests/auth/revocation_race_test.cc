// Sign-ins with the old password in flight while an admin resets it or
// disables the user: nothing they start may outlive the revocation.
#include <atomic>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;

constexpr int kRounds = 15;
constexpr int kAttackers = 4;

Credentials Basic(const std::string& password) {
  Credentials credentials;
  credentials.password = Credentials::Password{"alice", password};
  return credentials;
}

TEST(RevocationRace, NoSessionFromTheOldPasswordSurvivesAReset) {
  AuthEnv env;
  std::string password = AuthEnv::kAlicePassword;
  int sessions_started = 0, survivors = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<bool> reset_done{false};
    absl::Mutex mu;
    std::vector<std::string> tokens;
    std::vector<std::thread> attackers;
    for (int t = 0; t < kAttackers; ++t) {
      attackers.emplace_back([&, old = password] {
        // Keep signing in until a few attempts after the reset returned.
        for (int after = 0; after < 3;) {
          if (reset_done) ++after;
          absl::StatusOr<Principal> principal =
              env.authenticator->Authenticate(Basic(old));
          if (!principal.ok()) continue;
          absl::StatusOr<IssuedSession> session =
              env.sessions.Start(*principal);
          if (!session.ok()) continue;
          absl::MutexLock lock(&mu);
          tokens.push_back(session->token);
        }
      });
    }
    absl::SleepFor(absl::Milliseconds(2 + round % 5));
    const std::string fresh = absl::StrCat("alice-new-password-", round);
    const absl::Status reset = env.users.SetPassword(env.admin, "alice", fresh);
    reset_done = true;
    for (std::thread& t : attackers) t.join();
    ASSERT_TRUE(reset.ok()) << reset;
    for (const std::string& token : tokens) {
      if (env.sessions.Resolve(token).ok()) ++survivors;
    }
    sessions_started += static_cast<int>(tokens.size());
    password = fresh;
    // Failures after the reset count toward the lockout; start clean.
    ASSERT_TRUE(env.users.UnlockUser(env.admin, "alice").ok());
  }
  EXPECT_EQ(survivors, 0);
  EXPECT_GT(sessions_started, 0) << "the race never ran: no session started";
  std::cout << "sessions started with the old password: " << sessions_started
            << ", alive after the reset: " << survivors << "\n";
}

TEST(RevocationRace, NoKeyIsCreatedAfterADisableReturned) {
  AuthEnv env(/*max_keys_per_user=*/100000);
  const std::string alice_id = env.alice.user_id;
  int created_after = 0, created_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::atomic<bool> disabled{false};
    std::atomic<int> created{0};
    std::vector<std::thread> attackers;
    for (int t = 0; t < kAttackers; ++t) {
      attackers.emplace_back([&] {
        for (int after = 0; after < 3;) {
          if (disabled) ++after;
          absl::StatusOr<Principal> principal =
              env.authenticator->Authenticate(Basic(AuthEnv::kAlicePassword));
          if (!principal.ok()) continue;
          if (env.keys.CreateAccessKey(*principal, "", "race").ok()) {
            ++created;
          }
        }
      });
    }
    absl::SleepFor(absl::Milliseconds(2 + round % 5));
    UserUpdate disable;
    disable.enabled = false;
    const absl::Status disabling =
        env.users.UpdateUser(env.admin, "alice", disable).status();
    const size_t keys_at_ack = env.store->ListAccessKeys(alice_id)->size();
    disabled = true;
    for (std::thread& t : attackers) t.join();
    ASSERT_TRUE(disabling.ok()) << disabling;
    created_after += static_cast<int>(
        env.store->ListAccessKeys(alice_id)->size() - keys_at_ack);
    created_total += created.load();
    UserUpdate enable;
    enable.enabled = true;
    ASSERT_TRUE(env.users.UpdateUser(env.admin, "alice", enable).ok());
    ASSERT_TRUE(env.users.UnlockUser(env.admin, "alice").ok());
  }
  EXPECT_EQ(created_after, 0);
  EXPECT_GT(created_total, 0) << "the race never ran: no key created";
  std::cout << "keys created racing the disable: " << created_total
            << ", after it returned: " << created_after << "\n";
}

}  // namespace
}  // namespace identity::auth
