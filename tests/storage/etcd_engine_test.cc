// What only the etcd engine has: several stores (replicas) on one cluster,
// lost quorum, etcd's operation limit, the key prefix.
#include "storage/etcd/etcd_engine.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing/etcd_cluster.h"
#include "testing/store_engines.h"
#include "testing/store_records.h"

namespace identity::storage {
namespace {

using testing::Key;
using testing::User;

SessionRecord SessionCreatedAt(const std::string& user_id, int64_t created) {
  SessionRecord session;
  session.set_user_id(user_id);
  session.set_create_time_micros(created);
  session.set_expire_time_micros(created + 1000000);
  return session;
}

class EtcdEngineTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open(EtcdEngineOptions options) {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenEtcdStore(options, {});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  EtcdEngineOptions Options() {
    return testing::EtcdStoreOptions(absl::StrCat(
        "/etcd-engine-test-", absl::ToUnixNanos(absl::Now()), "/"));
  }
};

TEST_F(EtcdEngineTest, TwoStoresOnOneClusterKeepTheKeyLimit) {
  const EtcdEngineOptions options = Options();
  std::unique_ptr<Store> a = Open(options);
  std::unique_ptr<Store> b = Open(options);
  ASSERT_TRUE(a->CreateUser(User("U1", "alice"), {}).ok());
  std::atomic<int> created{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *a : *b;
      absl::Status s = store.CreateAccessKey(Key(absl::StrCat("K", t), "U1"), 2,
                                             std::nullopt, {});
      if (s.ok()) {
        ++created;
      } else if (absl::IsFailedPrecondition(s)) {
        ++limited;
      } else {
        ++other;
        ADD_FAILURE() << s;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 2);
  EXPECT_EQ(limited.load(), 14);
  EXPECT_EQ(b->ListAccessKeys("U1").value().size(), 2u);
  // A session written through one is read and ended through the other.
  ASSERT_TRUE(
      a->CreateSession("h1", SessionCreatedAt("U1", 1), {"U1", 0}, 100, {})
          .ok());
  EXPECT_TRUE(b->GetSession("h1").ok());
  ASSERT_TRUE(b->DeleteSession("h1").ok());
  EXPECT_TRUE(absl::IsNotFound(a->GetSession("h1").status()));
}

TEST_F(EtcdEngineTest, OtherPrefixesAreOtherStores) {
  std::unique_ptr<Store> a = Open(Options());
  std::unique_ptr<Store> b = Open(Options());
  ASSERT_TRUE(a->CreateUser(User("U1", "alice"), {}).ok());
  EXPECT_FALSE(b->HasUsers().value());
  EXPECT_TRUE(b->CreateUser(User("U1", "alice"), {}).ok());
}

TEST_F(EtcdEngineTest, AChangeOverEtcdsOperationLimitWritesNothing) {
  EtcdEngineOptions options = Options();
  options.max_txn_ops = 16;
  std::unique_ptr<Store> store = Open(options);
  ASSERT_TRUE(store->CreateUser(User("U1", "alice"), {}).ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store
                    ->CreateSession(absl::StrCat("h", i),
                                    SessionCreatedAt("U1", i), {"U1", 0}, 100,
                                    {})
                    .ok());
  }
  // 20 session records, the index, the user and their name: over 16.
  absl::Status deleted = store->DeleteUser("U1", {});
  EXPECT_TRUE(absl::IsResourceExhausted(deleted)) << deleted;
  EXPECT_TRUE(store->GetUserById("U1").ok());
  EXPECT_TRUE(store->GetSession("h9").ok());
  // Purging pages stay under the limit however many sessions expired.
  EXPECT_EQ(store->PurgeExpiredSessions(int64_t{1} << 40).value(), 20);
  EXPECT_TRUE(store->DeleteUser("U1", {}).ok());
}

TEST_F(EtcdEngineTest, NoEndpointAnswersIsUnavailableAtOpen) {
  EtcdEngineOptions options;
  options.endpoints = {absl::StrCat("127.0.0.1:", testing::FreeLoopbackPort())};
  options.operation_timeout = absl::Seconds(1);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenEtcdStore(options, {});
  EXPECT_TRUE(absl::IsUnavailable(store.status())) << store.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

// Its own cluster: members are killed.
TEST(EtcdQuorumTest, LostQuorumIsUnavailableInTimeAndWritesResumeAfter) {
  testing::EtcdCluster cluster;
  ASSERT_TRUE(cluster.WaitForQuorum(absl::Seconds(20)));
  EtcdEngineOptions options;
  options.endpoints = cluster.endpoints();
  options.rpc_timeout = absl::Seconds(1);
  options.operation_timeout = absl::Seconds(3);
  absl::StatusOr<std::unique_ptr<Store>> opened = OpenEtcdStore(options, {});
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.CreateUser(User("U1", "alice"), {}).ok());
  EXPECT_TRUE(store.CheckWritable().ok());

  // One member down: a quorum is left, writes go on (after an election if
  // it led).
  cluster.Kill(0);
  absl::Status write;
  for (int i = 0; i < 50; ++i) {
    write = store.CreateUser(User("U2", "bob"), {});
    if (write.ok() || absl::IsAlreadyExists(write)) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(write.ok() || absl::IsAlreadyExists(write)) << write;

  // Two down: no quorum. Reads and writes answer Unavailable within the
  // deadline, not a hang.
  cluster.Kill(1);
  absl::Time start = absl::Now();
  absl::Status refused = store.CreateUser(User("U3", "carol"), {});
  EXPECT_TRUE(absl::IsUnavailable(refused)) << refused;
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
  start = absl::Now();
  EXPECT_TRUE(absl::IsUnavailable(store.GetUserById("U1").status()));
  EXPECT_LT(absl::Now() - start, absl::Seconds(8));
  // What Health follows (service/store_health_monitor): not writable.
  EXPECT_TRUE(absl::IsUnavailable(store.CheckWritable()));

  // Both back: writes resume, and the refused change left nothing behind.
  cluster.Start(0);
  cluster.Start(1);
  ASSERT_TRUE(cluster.WaitForQuorum(2, absl::Seconds(20)));
  for (int i = 0; i < 50; ++i) {
    write = store.CreateUser(User("U4", "dave"), {});
    if (write.ok()) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(write.ok()) << write;
  EXPECT_TRUE(store.CheckWritable().ok());
  EXPECT_TRUE(store.GetUserById("U2").ok());
  EXPECT_EQ(store.GetUserById("U3").ok(), store.GetUserByName("carol").ok());
}

}  // namespace
}  // namespace identity::storage
