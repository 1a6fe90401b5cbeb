// Store::PurgeAuditEvents on every engine: only events before the bound go,
// each with its per-user index entries in the same transaction; a batch
// fits the engine's transaction limit; concurrent purges (threads, etcd
// replicas) delete and count each event once.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "testing/store_engines.h"
#include "testing/store_records.h"

namespace identity::storage {
namespace {

using testing::AuditEvent;

class StoreAuditPurgeTest : public testing::StoreEngineTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(false);
    ASSERT_NE(store_, nullptr);
  }

  // Writes `events` in one change that leaves nothing else behind.
  static void Write(Store& store, const AuditEvents& events) {
    ASSERT_TRUE(
        store
            .UpdateLoginAttempts(
                "nobody", [](LoginAttemptsRecord& r) { r.Clear(); }, events)
            .ok());
  }

  // `count` events from time 1000 on, one microsecond apart, each about its
  // own user and by its own actor: three keys apiece, the most an event has.
  void WriteOldEvents(int count) {
    AuditEvents events;
    for (int i = 0; i < count; ++i) {
      events.push_back(AuditEvent(1000 + i, absl::StrCat("user", i),
                                  absl::StrCat("actor", i)));
      if (events.size() == 20) {  // 60 puts: within etcd's 128
        Write(*store_, events);
        events.clear();
      }
    }
    if (!events.empty()) Write(*store_, events);
  }

  std::vector<AuditEventRecord> List(const std::string& user_name = "") {
    AuditQuery query;
    query.user_name = user_name;
    query.limit = 10000;
    absl::StatusOr<std::vector<AuditEventRecord>> events =
        store_->ListAuditEvents(query);
    // An index entry left behind by a purge would fail the listing here
    // (its event is gone).
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<AuditEventRecord>{};
  }

  // Purges before `before` until nothing is found; returns the deletions.
  int PurgeAll(Store& store, int64_t before, int max_events) {
    int deleted = 0;
    while (true) {
      absl::StatusOr<AuditPurgeBatch> batch =
          store.PurgeAuditEvents(before, max_events);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok() || batch->found == 0) return deleted;
      deleted += batch->deleted;
    }
  }

  std::unique_ptr<Store> store_;
};
IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(StoreAuditPurgeTest);

TEST_P(StoreAuditPurgeTest, DeletesOnlyEventsBeforeTheBound) {
  Write(*store_,
        {AuditEvent(100, "alice", "root"), AuditEvent(199, "bob", "alice"),
         AuditEvent(200, "alice", "alice"),  // the boundary
         AuditEvent(300, "bob", "root")});

  absl::StatusOr<AuditPurgeBatch> batch = store_->PurgeAuditEvents(200, 100);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->found, 2);
  EXPECT_EQ(batch->deleted, 2);
  batch = store_->PurgeAuditEvents(200, 100);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->found, 0);
  EXPECT_EQ(batch->deleted, 0);

  const std::vector<AuditEventRecord> left = List();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].time_micros(), 300);
  EXPECT_EQ(left[1].time_micros(), 200);
  // A bound at or before the oldest event deletes nothing.
  EXPECT_EQ(store_->PurgeAuditEvents(200, 100)->found, 0);
  EXPECT_EQ(store_->PurgeAuditEvents(0, 100)->found, 0);
  EXPECT_EQ(List().size(), 2u);
}

TEST_P(StoreAuditPurgeTest, TheUserIndexNoLongerListsDeletedEvents) {
  Write(*store_,
        {AuditEvent(100, "alice", "Root"), AuditEvent(150, "Bob", "ALICE"),
         AuditEvent(160, "carol", "carol"), AuditEvent(500, "alice", "bob")});
  ASSERT_EQ(List("alice").size(), 3u);
  ASSERT_EQ(List("root").size(), 1u);

  EXPECT_EQ(PurgeAll(*store_, 200, 100), 3);

  const std::vector<AuditEventRecord> alice = List("alice");
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[0].time_micros(), 500);
  ASSERT_EQ(List("bob").size(), 1u);
  EXPECT_TRUE(List("root").empty());
  EXPECT_TRUE(List("carol").empty());
  // A time-bounded listing by user over the purged span finds nothing, and
  // no dangling index entry.
  AuditQuery old_alice;
  old_alice.user_name = "alice";
  old_alice.end_micros = 200;
  absl::StatusOr<std::vector<AuditEventRecord>> none =
      store_->ListAuditEvents(old_alice);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreAuditPurgeTest, BatchesStayWithinTheEngineTransactionLimit) {
  constexpr int kEvents = 130;
  WriteOldEvents(kEvents);
  // A batch size is kept to, oldest first.
  absl::StatusOr<AuditPurgeBatch> batch =
      store_->PurgeAuditEvents(int64_t{1} << 40, 7);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->found, 7);
  EXPECT_EQ(batch->deleted, 7);
  const std::vector<AuditEventRecord> left = List();
  ASSERT_EQ(static_cast<int>(left.size()), kEvents - 7);
  EXPECT_EQ(left.back().time_micros(), 1000 + 7);

  // Asked for more than etcd's 128 operations hold (3 keys an event): the
  // store takes what fits, and the transaction commits. RocksDB's limit
  // (1000 operations) holds all that is left.
  batch = store_->PurgeAuditEvents(int64_t{1} << 40, 1000);
  ASSERT_TRUE(batch.ok()) << batch.status();
  const int second = batch->found;
  EXPECT_EQ(batch->deleted, second);
  if (GetParam() == testing::StoreEngine::kEtcd) {
    EXPECT_EQ(second, 128 / 3);
  } else {
    EXPECT_EQ(second, kEvents - 7);
  }
  EXPECT_EQ(PurgeAll(*store_, int64_t{1} << 40, 1000), kEvents - 7 - second);
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(List("user0").empty());
  EXPECT_TRUE(List(absl::StrCat("actor", kEvents - 1)).empty());
}

TEST_P(StoreAuditPurgeTest, ConcurrentPurgesDeleteAndCountEachEventOnce) {
  constexpr int kEvents = 200;
  WriteOldEvents(kEvents);
  Write(*store_, {AuditEvent(5000, "alice", "root")});
  // Two replicas on etcd (two stores on one prefix); threads on one store
  // on RocksDB, which one process owns.
  std::unique_ptr<Store> replica;
  if (GetParam() == testing::StoreEngine::kEtcd) {
    replica = OpenStore(false);
    ASSERT_NE(replica, nullptr);
  }
  std::atomic<int> deleted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    Store& store = (replica != nullptr && i % 2 == 1) ? *replica : *store_;
    threads.emplace_back(
        [&, i, &store = store] { deleted += PurgeAll(store, 5000, 10 + i); });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(deleted.load(), kEvents);
  const std::vector<AuditEventRecord> left = List();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].time_micros(), 5000);
  EXPECT_EQ(List("alice").size(), 1u);
  EXPECT_TRUE(List("user7").empty());
}

}  // namespace
}  // namespace identity::storage
