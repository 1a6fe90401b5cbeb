// The caching store on every engine: each change made through it is seen
// by the next read after the change returned, however many readers race
// with it; changes made around it (another replica) are seen once entries
// age past max_age.
#include "storage/caching_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/record_cache.h"
#include "testing/store_engines.h"
#include "testing/store_records.h"

namespace identity::storage {
namespace {

using testing::Key;
using testing::User;

constexpr int kMaxSessions = 100;

SessionRecord SessionOf(const std::string& user_id) {
  SessionRecord session;
  session.set_user_id(user_id);
  session.set_create_time_micros(absl::ToUnixMicros(absl::Now()));
  session.set_expire_time_micros(
      absl::ToUnixMicros(absl::Now() + absl::Hours(1)));
  return session;
}

// The group index: EraseGroup takes exactly its group's entries, and no
// group outlives its entries however they leave (replaced, evicted,
// erased one by one or by predicate).
TEST(RecordCacheGroups, EraseGroupTakesItsEntriesAndTheIndexFollowsEveryExit) {
  RecordCache<SessionRecord> cache(
      /*max_entries=*/4, absl::ZeroDuration(), [](const SessionRecord& s) {
        return std::vector<std::string>{s.user_id()};
      });
  const absl::Time now = absl::Now();
  auto insert = [&](const std::string& key, const std::string& user) {
    cache.Insert(key, SessionOf(user), cache.Epoch(), now);
  };
  insert("a1", "alice");
  insert("a2", "alice");
  insert("b1", "bob");
  EXPECT_EQ(cache.group_count(), 2u);
  cache.EraseGroup("alice");
  EXPECT_FALSE(cache.Find("a1", now).has_value());
  EXPECT_FALSE(cache.Find("a2", now).has_value());
  EXPECT_TRUE(cache.Find("b1", now).has_value());
  EXPECT_EQ(cache.group_count(), 1u);

  // Replaced under another group: only the new group holds it.
  insert("b1", "carol");
  cache.EraseGroup("bob");
  EXPECT_TRUE(cache.Find("b1", now).has_value());
  cache.EraseGroup("carol");
  EXPECT_FALSE(cache.Find("b1", now).has_value());
  EXPECT_EQ(cache.group_count(), 0u);

  // Evicted when full (4 entries), erased by key and by predicate.
  for (int i = 0; i < 6; ++i)
    insert(absl::StrCat("k", i), absl::StrCat("u", i));
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_EQ(cache.group_count(), 4u);
  cache.Erase("k5");
  cache.EraseIf([](const SessionRecord& s) { return s.user_id() == "u4"; });
  EXPECT_EQ(cache.group_count(), cache.size());
  cache.EraseIf([](const SessionRecord&) { return true; });
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.group_count(), 0u);
}

class CachingStoreTest : public testing::StoreEngineTest {
 protected:
  void SetUp() override {
    std::unique_ptr<Store> inner = OpenStore(/*sync_writes=*/false);
    ASSERT_NE(inner, nullptr);
    inner_ = inner.get();
    CachingStoreOptions options;
    options.max_age = absl::Hours(1);  // only invalidation makes reads fresh
    options.now = [this] {
      absl::MutexLock lock(&clock_mu_);
      return now_;
    };
    store_ = NewCachingStore(std::move(inner), options);
    ASSERT_TRUE(store_->CreateUser(User("u1", "alice"), {}).ok());
  }

  void StartSession(const std::string& hash, const std::string& user_id,
                    int max_sessions = kMaxSessions) {
    // The version a revoking update bumped, as a sign-in would have read.
    absl::StatusOr<UserRecord> user = inner_->GetUserById(user_id);
    ASSERT_TRUE(user.ok());
    ASSERT_TRUE(store_
                    ->CreateSession(
                        hash, SessionOf(user_id),
                        CredentialCheck{user_id, user->credential_version()},
                        max_sessions, {})
                    .ok());
  }

  void Advance(absl::Duration by) {
    absl::MutexLock lock(&clock_mu_);
    now_ += by;
  }

  absl::Mutex clock_mu_;
  absl::Time now_ ABSL_GUARDED_BY(clock_mu_) = absl::Now();
  Store* inner_ = nullptr;  // owned by store_
  std::unique_ptr<Store> store_;
};

TEST_P(CachingStoreTest, DeletedSessionIsGoneOnTheNextRead) {
  StartSession("h1", "u1");
  ASSERT_TRUE(store_->GetSession("h1").ok());  // now cached
  ASSERT_TRUE(store_->DeleteSession("h1").ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("h1").status()));
}

TEST_P(CachingStoreTest, RevokingUserUpdateDropsSessionsAndTheOldRecord) {
  StartSession("h1", "u1");
  StartSession("h2", "u1");
  ASSERT_TRUE(store_->GetSession("h1").ok());
  ASSERT_TRUE(store_->GetSession("h2").ok());
  ASSERT_TRUE(store_->GetUserById("u1").ok());
  ASSERT_TRUE(store_
                  ->UpdateUser("u1",
                               [](UserRecord& user) {
                                 user.set_disabled(true);
                                 return absl::OkStatus();
                               },
                               /*revoke_sessions=*/true, {})
                  .ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("h1").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("h2").status()));
  absl::StatusOr<UserRecord> user = store_->GetUserById("u1");
  ASSERT_TRUE(user.ok());
  EXPECT_TRUE(user->disabled());
}

TEST_P(CachingStoreTest, DeletedUserTakesSessionsKeysAndListWithIt) {
  ASSERT_TRUE(store_->CreateUser(User("u2", "bob"), {}).ok());
  StartSession("h1", "u2");
  ASSERT_TRUE(
      store_->CreateAccessKey(Key("K1", "u2"), 10, std::nullopt, {}).ok());
  ASSERT_TRUE(store_->GetSession("h1").ok());
  ASSERT_TRUE(store_->GetUserById("u2").ok());
  ASSERT_TRUE(store_->GetAccessKey("K1").ok());
  ASSERT_EQ(store_->ListAccessKeys("u2")->size(), 1u);
  ASSERT_TRUE(store_->DeleteUser("u2", {}).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("h1").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetUserById("u2").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetAccessKey("K1").status()));
  absl::StatusOr<std::vector<AccessKeyRecord>> keys =
      store_->ListAccessKeys("u2");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->empty());
}

TEST_P(CachingStoreTest, SessionPushedOutByTheLimitIsGone) {
  StartSession("old", "u1", /*max_sessions=*/1);
  ASSERT_TRUE(store_->GetSession("old").ok());
  StartSession("new", "u1", /*max_sessions=*/1);
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("old").status()));
  EXPECT_TRUE(store_->GetSession("new").ok());
}

TEST_P(CachingStoreTest, KeyChangesReachKeyAndList) {
  ASSERT_TRUE(
      store_->CreateAccessKey(Key("K1", "u1"), 10, std::nullopt, {}).ok());
  ASSERT_EQ(store_->ListAccessKeys("u1")->size(), 1u);
  ASSERT_TRUE(store_->GetAccessKey("K1").ok());

  ASSERT_TRUE(
      store_->CreateAccessKey(Key("K2", "u1"), 10, std::nullopt, {}).ok());
  EXPECT_EQ(store_->ListAccessKeys("u1")->size(), 2u);

  ASSERT_TRUE(store_
                  ->UpdateAccessKey("K1",
                                    [](AccessKeyRecord& key) {
                                      key.set_status(AccessKeyRecord::INACTIVE);
                                      return absl::OkStatus();
                                    },
                                    {})
                  .ok());
  EXPECT_EQ(store_->GetAccessKey("K1")->status(), AccessKeyRecord::INACTIVE);
  absl::StatusOr<std::vector<AccessKeyRecord>> listed =
      store_->ListAccessKeys("u1");
  ASSERT_TRUE(listed.ok());
  for (const AccessKeyRecord& key : *listed) {
    if (key.access_key_id() == "K1") {
      EXPECT_EQ(key.status(), AccessKeyRecord::INACTIVE);
    }
  }

  ASSERT_TRUE(store_->DeleteAccessKey("K1", {}).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetAccessKey("K1").status()));
  absl::StatusOr<std::vector<AccessKeyRecord>> keys =
      store_->ListAccessKeys("u1");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].access_key_id(), "K2");
}

TEST_P(CachingStoreTest, ChangesMadeAroundTheCacheAreSeenOnceEntriesAge) {
  StartSession("h1", "u1");
  ASSERT_TRUE(store_->GetSession("h1").ok());
  // Another writer (another replica) deletes it: this cache cannot know.
  ASSERT_TRUE(inner_->DeleteSession("h1").ok());
  EXPECT_TRUE(store_->GetSession("h1").ok());
  Advance(absl::Hours(1) + absl::Seconds(1));
  EXPECT_TRUE(absl::IsNotFound(store_->GetSession("h1").status()));
}

// Readers hammer a session and its user while a writer revokes it: a read
// that began after the revoking call returned never sees it, on either
// revocation path.
TEST_P(CachingStoreTest, RevokedSessionIsNeverReadAfterTheRevokeReturned) {
  const int rounds = GetParam() == testing::StoreEngine::kRocksDb ? 100 : 20;
  std::atomic<int> stale{0};
  for (int round = 0; round < rounds; ++round) {
    const std::string hash = absl::StrCat("race-", round);
    StartSession(hash, "u1");
    ASSERT_TRUE(store_->GetSession(hash).ok());
    std::atomic<bool> revoked{false};
    std::atomic<bool> done{false};
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) {
      readers.emplace_back([&] {
        // Bounded: the writer sets `done` within the round; the count
        // caps it if it never does.
        for (int i = 0; i < 200000 && !done.load(); ++i) {
          const bool after = revoked.load();
          absl::StatusOr<SessionRecord> read = store_->GetSession(hash);
          if (after && read.ok()) ++stale;
        }
      });
    }
    absl::SleepFor(absl::Microseconds(200));
    if (round % 2 == 0) {
      ASSERT_TRUE(store_->DeleteSession(hash).ok());
    } else {
      ASSERT_TRUE(store_
                      ->UpdateUser("u1",
                                   [](UserRecord&) { return absl::OkStatus(); },
                                   /*revoke_sessions=*/true, {})
                      .ok());
    }
    revoked = true;
    absl::SleepFor(absl::Milliseconds(2));
    done = true;
    for (std::thread& reader : readers) reader.join();
  }
  EXPECT_EQ(stale.load(), 0);
}

IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(CachingStoreTest);

// Two replicas on one etcd cluster, each with its own cache at the
// production age: a revocation on one is seen on the other within a second.
class CachingStoreReplicasTest : public testing::StoreEngineTest {};

TEST_P(CachingStoreReplicasTest, RevocationOnOneReplicaReachesTheOther) {
  CachingStoreOptions options;
  options.max_age = absl::Milliseconds(500);
  std::unique_ptr<Store> a = NewCachingStore(OpenStore(false), options);
  std::unique_ptr<Store> b = NewCachingStore(OpenStore(false), options);
  ASSERT_TRUE(a->CreateUser(User("u1", "alice"), {}).ok());
  ASSERT_TRUE(
      a->CreateSession("h1", SessionOf("u1"), CredentialCheck{"u1", 0}, 10, {})
          .ok());
  ASSERT_TRUE(b->GetSession("h1").ok());  // cached on b
  ASSERT_TRUE(a->DeleteSession("h1").ok());
  EXPECT_TRUE(absl::IsNotFound(a->GetSession("h1").status()));
  const absl::Time revoked = absl::Now();
  bool gone = false;
  while (!gone && absl::Now() - revoked < absl::Seconds(1)) {
    gone = absl::IsNotFound(b->GetSession("h1").status());
    if (!gone) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(gone) << "replica b still accepted the session after 1 s";
}

INSTANTIATE_TEST_SUITE_P(Etcd, CachingStoreReplicasTest,
                         ::testing::Values(testing::StoreEngine::kEtcd),
                         testing::StoreEngineName);

}  // namespace
}  // namespace identity::storage
