// Lifecycle operations of the store (on every engine): updates, deletes,
// paging, sessions, and the invariants that must hold while they race.
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "testing/store_engines.h"
#include "testing/store_records.h"

namespace identity::storage {
namespace {

using testing::Key;
using testing::User;

SessionRecord SessionExpiringAt(const std::string& user_id, int64_t expire) {
  SessionRecord session;
  session.set_user_id(user_id);
  session.set_expire_time_micros(expire);
  return session;
}

class StoreLifecycleTest : public testing::StoreEngineTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(false);
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(
        store_->CreateUser(User("ADMIN1", "root", UserRecord::ADMIN), {}).ok());
    ASSERT_TRUE(store_->CreateUser(User("U1", "alice"), {}).ok());
  }
  std::unique_ptr<Store> store_;
};
IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(StoreLifecycleTest);

TEST_P(StoreLifecycleTest, UpdateUserAppliesTheMutation) {
  UserRecord updated = store_
                           ->UpdateUser("U1",
                                        [](UserRecord& u) {
                                          u.set_display_name("Alice");
                                          return absl::OkStatus();
                                        },
                                        false, {})
                           .value();
  EXPECT_EQ(updated.display_name(), "Alice");
  EXPECT_EQ(store_->GetUserById("U1").value().display_name(), "Alice");
  absl::Status refused =
      store_
          ->UpdateUser(
              "U1",
              [](UserRecord&) { return absl::InvalidArgumentError("no"); },
              false, {})
          .status();
  EXPECT_TRUE(absl::IsInvalidArgument(refused));
  EXPECT_TRUE(absl::IsNotFound(
      store_
          ->UpdateUser("NOPE", [](UserRecord&) { return absl::OkStatus(); },
                       false, {})
          .status()));
}

TEST_P(StoreLifecycleTest, TheLastEnabledAdminCannotGo) {
  auto demote = [](UserRecord& u) {
    u.set_role(UserRecord::USER);
    return absl::OkStatus();
  };
  auto disable = [](UserRecord& u) {
    u.set_disabled(true);
    return absl::OkStatus();
  };
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store_->UpdateUser("ADMIN1", demote, false, {}).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store_->UpdateUser("ADMIN1", disable, false, {}).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->DeleteUser("ADMIN1", {})));
  // With a second admin, the first may go.
  ASSERT_TRUE(store_
                  ->UpdateUser("U1",
                               [](UserRecord& u) {
                                 u.set_role(UserRecord::ADMIN);
                                 return absl::OkStatus();
                               },
                               false, {})
                  .ok());
  EXPECT_TRUE(store_->UpdateUser("ADMIN1", disable, false, {}).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store_->UpdateUser("U1", demote, false, {}).status()));
  // Re-enabling ADMIN1 makes it count again.
  ASSERT_TRUE(store_
                  ->UpdateUser("ADMIN1",
                               [](UserRecord& u) {
                                 u.set_disabled(false);
                                 return absl::OkStatus();
                               },
                               false, {})
                  .ok());
  EXPECT_TRUE(store_->DeleteUser("U1", {}).ok());
}

TEST_P(StoreLifecycleTest, TwoAdminsDemotingEachOtherLeaveOne) {
  ASSERT_TRUE(
      store_->CreateUser(User("ADMIN2", "root2", UserRecord::ADMIN), {}).ok());
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> ok{0};
    auto demote = [&](const std::string& id) {
      if (store_
              ->UpdateUser(id,
                           [](UserRecord& u) {
                             u.set_role(UserRecord::USER);
                             return absl::OkStatus();
                           },
                           false, {})
              .ok()) {
        ++ok;
      }
    };
    std::thread a(demote, "ADMIN1"), b(demote, "ADMIN2");
    a.join();
    b.join();
    ASSERT_EQ(ok.load(), 1) << "round " << round;
    // Restore both for the next round.
    for (const char* id : {"ADMIN1", "ADMIN2"}) {
      ASSERT_TRUE(store_
                      ->UpdateUser(id,
                                   [](UserRecord& u) {
                                     u.set_role(UserRecord::ADMIN);
                                     return absl::OkStatus();
                                   },
                                   false, {})
                      .ok());
    }
  }
}

TEST_P(StoreLifecycleTest, DeleteUserTakesKeysSessionsAndName) {
  ASSERT_TRUE(
      store_->CreateAccessKey(Key("K1", "U1"), 2, std::nullopt, {}).ok());
  ASSERT_TRUE(store_
                  ->CreateSession("hash-1", SessionExpiringAt("U1", 100),
                                  {"U1", 0}, 100, {})
                  .ok());
  ASSERT_TRUE(store_->DeleteUser("U1", {}).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetUserById("U1").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetUserByName("alice").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetAccessKey("K1").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("hash-1").status()));
  EXPECT_TRUE(store_->ListAccessKeys("U1").value().empty());
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteUser("U1", {})));
  // The name is free again.
  EXPECT_TRUE(store_->CreateUser(User("U2", "Alice"), {}).ok());
}

TEST_P(StoreLifecycleTest, UpdateAndDeleteAccessKeys) {
  ASSERT_TRUE(
      store_->CreateAccessKey(Key("K1", "U1"), 2, std::nullopt, {}).ok());
  ASSERT_TRUE(
      store_->CreateAccessKey(Key("K2", "U1"), 2, std::nullopt, {}).ok());
  AccessKeyRecord updated =
      store_
          ->UpdateAccessKey("K1",
                            [](AccessKeyRecord& k) {
                              k.set_status(AccessKeyRecord::INACTIVE);
                              return absl::OkStatus();
                            },
                            {})
          .value();
  EXPECT_EQ(updated.status(), AccessKeyRecord::INACTIVE);
  // Inactive keys still count.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store_->CreateAccessKey(Key("K3", "U1"), 2, std::nullopt, {})));
  ASSERT_TRUE(store_->DeleteAccessKey("K1", {}).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteAccessKey("K1", {})));
  EXPECT_TRUE(
      store_->CreateAccessKey(Key("K3", "U1"), 2, std::nullopt, {}).ok());
  EXPECT_TRUE(absl::IsNotFound(
      store_
          ->UpdateAccessKey(
              "K1", [](AccessKeyRecord&) { return absl::OkStatus(); }, {})
          .status()));
}

TEST_P(StoreLifecycleTest, DeletesAndCreatesRacingNeverExceedTheLimit) {
  std::atomic<bool> over_limit{false};
  std::atomic<int> next_id{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        if ((t + i) % 2 == 0) {
          store_
              ->CreateAccessKey(Key(absl::StrCat("K", next_id++), "U1"), 2,
                                std::nullopt, {})
              .IgnoreError();
        } else {
          std::vector<AccessKeyRecord> keys =
              store_->ListAccessKeys("U1").value();
          if (!keys.empty()) {
            store_->DeleteAccessKey(keys[i % keys.size()].access_key_id(), {})
                .IgnoreError();
          }
        }
        if (store_->ListAccessKeys("U1").value().size() > 2) over_limit = true;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_FALSE(over_limit.load());
}

TEST_P(StoreLifecycleTest, PagingAllKeysReturnsEachOnceDuringInserts) {
  std::set<std::string> before;
  for (int u = 0; u < 30; ++u) {
    const std::string user_id = absl::StrCat("P", u);
    ASSERT_TRUE(store_->CreateUser(User(user_id, user_id), {}).ok());
    for (int k = 0; k < 2; ++k) {
      const std::string id = absl::StrCat("K", u * 10 + k);
      ASSERT_TRUE(
          store_->CreateAccessKey(Key(id, user_id), 2, std::nullopt, {}).ok());
      before.insert(id);
    }
  }
  std::atomic<bool> stop{false};
  std::thread inserter([&] {
    for (int i = 0; !stop; ++i) {
      const std::string user_id = absl::StrCat("Q", i);
      store_->CreateUser(User(user_id, user_id), {}).IgnoreError();
      store_
          ->CreateAccessKey(Key(absl::StrCat("K", 1000 + i), user_id), 2,
                            std::nullopt, {})
          .IgnoreError();
    }
  });
  std::multiset<std::string> seen;
  std::string after;
  while (true) {
    std::vector<AccessKeyRecord> page =
        store_->ListAllAccessKeys(after, 7).value();
    for (const AccessKeyRecord& key : page) seen.insert(key.access_key_id());
    if (page.size() < 7) break;
    after = page.back().access_key_id();
  }
  stop = true;
  inserter.join();
  for (const std::string& id : before) EXPECT_EQ(seen.count(id), 1u) << id;
  for (const std::string& id : seen) EXPECT_EQ(seen.count(id), 1u) << id;
}

TEST_P(StoreLifecycleTest, ListUsersPagesByName) {
  ASSERT_TRUE(store_->CreateUser(User("U3", "Carol"), {}).ok());
  ASSERT_TRUE(store_->CreateUser(User("U4", "bob"), {}).ok());
  std::vector<UserRecord> first = store_->ListUsers("", 2).value();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].user_name(), "alice");
  EXPECT_EQ(first[1].user_name(), "bob");
  std::vector<UserRecord> rest = store_->ListUsers("bob", 10).value();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].user_name(), "Carol");
  EXPECT_EQ(rest[1].user_name(), "root");
}

TEST_P(StoreLifecycleTest, SessionsCreateGetDeleteRevokeAndPurge) {
  ASSERT_TRUE(store_
                  ->CreateSession(std::string("h\0a", 3),
                                  SessionExpiringAt("U1", 100), {"U1", 0}, 100,
                                  {})
                  .ok());
  ASSERT_TRUE(store_
                  ->CreateSession("hb", SessionExpiringAt("U1", 300), {"U1", 0},
                                  100, {})
                  .ok());
  ASSERT_TRUE(store_
                  ->CreateSession("hc", SessionExpiringAt("ADMIN1", 300),
                                  {"ADMIN1", 0}, 100, {})
                  .ok());
  EXPECT_TRUE(absl::IsNotFound(store_->CreateSession(
      "hx", SessionExpiringAt("NOPE", 300), {"NOPE", 0}, 100, {})));
  EXPECT_EQ(store_->GetSession(std::string("h\0a", 3)).value().user_id(), "U1");

  EXPECT_EQ(store_->PurgeExpiredSessions(200).value(), 1);
  EXPECT_TRUE(
      absl::IsNotFound(store_->GetSession(std::string("h\0a", 3)).status()));
  EXPECT_TRUE(store_->GetSession("hb").ok());

  ASSERT_TRUE(store_->DeleteSession("hc").ok());
  EXPECT_TRUE(store_->DeleteSession("hc").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("hc").status()));

  // A password change revokes the user's sessions in the same transaction.
  ASSERT_TRUE(store_
                  ->UpdateUser("U1",
                               [](UserRecord&) { return absl::OkStatus(); },
                               /*revoke_sessions=*/true, {})
                  .ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("hb").status()));
  EXPECT_EQ(store_->PurgeExpiredSessions(1000).value(), 0);
}

TEST_P(StoreLifecycleTest, RevokingUpdateFailsSessionsAndKeysVerifiedBefore) {
  const CredentialCheck verified{"U1", 0};
  ASSERT_TRUE(
      store_
          ->CreateSession("h1", SessionExpiringAt("U1", 300), verified, 100, {})
          .ok());
  // A password set (a revoking update) bumps the credential version...
  UserRecord reset =
      store_
          ->UpdateUser("U1", [](UserRecord&) { return absl::OkStatus(); },
                       /*revoke_sessions=*/true, {})
          .value();
  EXPECT_EQ(reset.credential_version(), 1);
  // ...so what was verified before it can no longer commit.
  EXPECT_TRUE(absl::IsAborted(store_->CreateSession(
      "h2", SessionExpiringAt("U1", 300), verified, 100, {})));
  EXPECT_TRUE(absl::IsAborted(
      store_->CreateAccessKey(Key("K1", "U1"), 2, verified, {})));
  EXPECT_TRUE(absl::IsNotFound(store_->GetAccessKey("K1").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("h2").status()));
  // The new version commits; an admin acting for alice is checked on the
  // admin's own record.
  EXPECT_TRUE(store_
                  ->CreateSession("h3", SessionExpiringAt("U1", 300), {"U1", 1},
                                  100, {})
                  .ok());
  EXPECT_TRUE(store_
                  ->CreateAccessKey(Key("K2", "U1"), 2,
                                    CredentialCheck{"ADMIN1", 0}, {})
                  .ok());
  EXPECT_TRUE(absl::IsAborted(store_->CreateAccessKey(
      Key("K3", "U1"), 2, CredentialCheck{"ADMIN1", 7}, {})));
  EXPECT_TRUE(absl::IsAborted(store_->CreateAccessKey(
      Key("K3", "U1"), 2, CredentialCheck{"GONE", 0}, {})));
}

TEST_P(StoreLifecycleTest, DisabledUserGetsNoNewSessionOrKey) {
  ASSERT_TRUE(store_
                  ->UpdateUser("U1",
                               [](UserRecord& u) {
                                 u.set_disabled(true);
                                 return absl::OkStatus();
                               },
                               /*revoke_sessions=*/true, {})
                  .ok());
  const CredentialCheck current{"U1", 1};
  EXPECT_TRUE(absl::IsAborted(store_->CreateSession(
      "h1", SessionExpiringAt("U1", 300), current, 100, {})));
  EXPECT_TRUE(absl::IsAborted(
      store_->CreateAccessKey(Key("K1", "U1"), 2, current, {})));
}

TEST_P(StoreLifecycleTest, SessionCapEndsTheOldestSessions) {
  for (int i = 0; i < 5; ++i) {
    SessionRecord session = SessionExpiringAt("U1", 1000);
    session.set_create_time_micros(100 + i);
    ASSERT_TRUE(store_
                    ->CreateSession(absl::StrCat("h", i), session, {"U1", 0},
                                    /*max_sessions_per_user=*/3, {})
                    .ok());
  }
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("h0").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("h1").status()));
  for (const char* kept : {"h2", "h3", "h4"}) {
    EXPECT_TRUE(store_->GetSession(kept).ok()) << kept;
  }
  // Other users' sessions are untouched.
  ASSERT_TRUE(store_
                  ->CreateSession("admin", SessionExpiringAt("ADMIN1", 1000),
                                  {"ADMIN1", 0}, 1, {})
                  .ok());
  EXPECT_TRUE(store_->GetSession("h4").ok());
}

}  // namespace
}  // namespace identity::storage
