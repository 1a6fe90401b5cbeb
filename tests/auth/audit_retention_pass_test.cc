// The audit retention pass on every store engine, with injected clocks:
// events older than the retention go, in bounded batches; the boundary
// event and newer ones stay, also when the clock jumps; replicas running
// passes at once delete and count each event once.
#include "auth/audit_retention_pass.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"
#include "testing/faulty_store.h"
#include "testing/store_engines.h"
#include "testing/store_records.h"

namespace identity::auth {
namespace {

using storage::AuditEventRecord;
using testing::AuditEvent;

constexpr absl::Duration kDay = absl::Hours(24);
const absl::Duration kRetention = absl::Hours(400 * 24);

class AuditRetentionPassTest : public testing::StoreEngineTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(false);
    ASSERT_NE(store_, nullptr);
  }

  AuditRetentionOptions Options() {
    AuditRetentionOptions options;
    options.retention = kRetention;
    options.elapsed_clock = &elapsed_;
    return options;
  }

  // Events `age` before the clock's now, about `user` by "admin".
  void WriteAged(const std::vector<absl::Duration>& ages,
                 const std::string& user = "alice") {
    storage::AuditEvents events;
    for (absl::Duration age : ages) {
      events.push_back(
          AuditEvent(absl::ToUnixMicros(clock_.Now() - age), user, "admin"));
      if (events.size() == 20) Flush(events);
    }
    Flush(events);
  }
  void Flush(storage::AuditEvents& events) {
    if (events.empty()) return;
    ASSERT_TRUE(store_
                    ->UpdateLoginAttempts(
                        "nobody",
                        [](storage::LoginAttemptsRecord& r) { r.Clear(); },
                        events)
                    .ok());
    events.clear();
  }

  // The ages (before the clock's now) of the events left, newest first.
  std::vector<absl::Duration> AgesLeft(const std::string& user = "") {
    storage::AuditQuery query;
    query.user_name = user;
    query.limit = 10000;
    absl::StatusOr<std::vector<AuditEventRecord>> events =
        store_->ListAuditEvents(query);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<absl::Duration> ages;
    if (!events.ok()) return ages;
    for (const AuditEventRecord& event : *events) {
      ages.push_back(clock_.Now() - absl::FromUnixMicros(event.time_micros()));
    }
    return ages;
  }

  testing::FakeClock clock_;
  testing::FakeClock elapsed_{absl::FromUnixSeconds(1000)};
  std::unique_ptr<storage::Store> store_;
};
IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(AuditRetentionPassTest);

TEST_P(AuditRetentionPassTest, OldEventsGoTheBoundaryEventStays) {
  const absl::Duration just_over = kRetention + absl::Microseconds(1);
  WriteAged({900 * kDay, just_over});
  WriteAged({kRetention, 399 * kDay, absl::ZeroDuration()});
  WriteAged({500 * kDay}, "bob");
  AuditRetentionPass pass(*store_, clock_, Options());

  absl::StatusOr<AuditRetentionPassResult> result = pass.RunOnce();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->events_deleted, 3);
  EXPECT_EQ(result->cutoff, clock_.Now() - kRetention);
  EXPECT_FALSE(result->more_left);
  EXPECT_FALSE(result->cutoff_held_back);
  EXPECT_EQ(pass.events_deleted(), 3);
  EXPECT_EQ(AgesLeft(), (std::vector<absl::Duration>{absl::ZeroDuration(),
                                                     399 * kDay, kRetention}));
  // The per-user index no longer lists them either.
  EXPECT_EQ(AgesLeft("alice").size(), 3u);
  EXPECT_TRUE(AgesLeft("bob").empty());
  EXPECT_EQ(AgesLeft("admin").size(), 3u);

  // Nothing more until time passes; then the boundary event goes.
  EXPECT_EQ(pass.RunOnce()->events_deleted, 0);
  clock_.Advance(absl::Seconds(1));
  elapsed_.Advance(absl::Seconds(1));
  EXPECT_EQ(pass.RunOnce()->events_deleted, 1);
  EXPECT_EQ(pass.events_deleted(), 4);
}

TEST_P(AuditRetentionPassTest, BatchesAndPassesAreBounded) {
  std::vector<absl::Duration> old;
  for (int i = 0; i < 47; ++i) old.push_back(500 * kDay + absl::Seconds(i));
  WriteAged(old);
  WriteAged({kDay});
  AuditRetentionOptions options = Options();
  options.batch_size = 5;
  options.max_batches_per_pass = 4;
  AuditRetentionPass pass(*store_, clock_, options);

  absl::StatusOr<AuditRetentionPassResult> first = pass.RunOnce();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->batches, 4);
  EXPECT_EQ(first->events_deleted, 20);
  EXPECT_TRUE(first->more_left);
  // The oldest went first.
  EXPECT_EQ(AgesLeft().size(), 28u);
  EXPECT_EQ(AgesLeft().back(), 500 * kDay + absl::Seconds(26));

  EXPECT_EQ(pass.RunOnce()->events_deleted, 20);
  absl::StatusOr<AuditRetentionPassResult> last = pass.RunOnce();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->events_deleted, 7);
  EXPECT_EQ(last->batches, 2);
  EXPECT_FALSE(last->more_left);
  EXPECT_EQ(AgesLeft(), std::vector<absl::Duration>{kDay});
}

TEST_P(AuditRetentionPassTest, AClockThatJumpsForwardIsHeldBack) {
  WriteAged({500 * kDay, 399 * kDay, 200 * kDay});
  AuditRetentionPass pass(*store_, clock_, Options());
  EXPECT_EQ(pass.RunOnce()->events_deleted, 1);

  // The wall clock leaps ten years while a minute really passes: the pass
  // keeps the cutoff at what elapsed, and says so.
  clock_.Advance(3650 * kDay);
  elapsed_.Advance(absl::Minutes(1));
  absl::StatusOr<AuditRetentionPassResult> jumped = pass.RunOnce();
  ASSERT_TRUE(jumped.ok()) << jumped.status();
  EXPECT_TRUE(jumped->cutoff_held_back);
  EXPECT_EQ(jumped->events_deleted, 0);
  EXPECT_LT(jumped->cutoff, clock_.Now() - 3650 * kDay - 399 * kDay);
  // Still held while the clock disagrees...
  elapsed_.Advance(absl::Minutes(1));
  EXPECT_TRUE(pass.RunOnce()->cutoff_held_back);
  // ...and the clock set back trusted again once it agrees.
  clock_.Advance(-3650 * kDay);
  EXPECT_FALSE(pass.RunOnce()->cutoff_held_back);
  EXPECT_EQ(AgesLeft().size(), 2u);

  // Days really passing move the cutoff on as usual; a step within the
  // tolerance (NTP's) is trusted.
  clock_.Advance(2 * kDay + absl::Minutes(30));
  elapsed_.Advance(2 * kDay);
  absl::StatusOr<AuditRetentionPassResult> later = pass.RunOnce();
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE(later->cutoff_held_back);
  EXPECT_EQ(later->events_deleted, 1);
  EXPECT_EQ(AgesLeft().size(), 1u);
}

TEST_P(AuditRetentionPassTest, AClockThatJumpsBackDeletesLess) {
  WriteAged({500 * kDay, 450 * kDay, 100 * kDay});
  AuditRetentionPass pass(*store_, clock_, Options());
  clock_.Advance(-70 * kDay);
  EXPECT_EQ(pass.RunOnce()->events_deleted, 1);  // only the 500-day one
  clock_.Advance(70 * kDay);
  elapsed_.Advance(absl::Minutes(1));
  // Back to the right time: the first reading was the anchor, so the
  // correction forward is held back until a restart accepts it.
  absl::StatusOr<AuditRetentionPassResult> result = pass.RunOnce();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->cutoff_held_back);
  EXPECT_EQ(AgesLeft().size(), 2u);
  AuditRetentionPass restarted(*store_, clock_, Options());
  EXPECT_EQ(restarted.RunOnce()->events_deleted, 1);
  EXPECT_EQ(AgesLeft().size(), 1u);
}

TEST_P(AuditRetentionPassTest, ReplicasRunningPassesAtOnceDeleteEachEventOnce) {
  std::vector<absl::Duration> old;
  for (int i = 0; i < 150; ++i) old.push_back(401 * kDay + absl::Seconds(i));
  WriteAged(old);
  WriteAged({kRetention - absl::Seconds(1)});
  // Two replicas on etcd; on RocksDB two passes over the one store.
  std::unique_ptr<storage::Store> replica;
  if (GetParam() == testing::StoreEngine::kEtcd) {
    replica = OpenStore(false);
    ASSERT_NE(replica, nullptr);
  }
  AuditRetentionOptions options = Options();
  options.batch_size = 10;
  AuditRetentionPass first(*store_, clock_, options);
  AuditRetentionPass second(replica != nullptr ? *replica : *store_, clock_,
                            options);
  std::thread other([&] { EXPECT_TRUE(second.RunOnce().ok()); });
  EXPECT_TRUE(first.RunOnce().ok());
  other.join();
  EXPECT_EQ(first.events_deleted() + second.events_deleted(), 150);
  EXPECT_EQ(AgesLeft(),
            std::vector<absl::Duration>{kRetention - absl::Seconds(1)});
}

TEST_P(AuditRetentionPassTest, InfiniteRetentionDeletesNothing) {
  WriteAged({5000 * kDay});
  AuditRetentionOptions options = Options();
  options.retention = absl::InfiniteDuration();
  AuditRetentionPass pass(*store_, clock_, options);
  absl::StatusOr<AuditRetentionPassResult> result = pass.RunOnce();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->events_deleted, 0);
  EXPECT_EQ(AgesLeft().size(), 1u);
}

TEST_P(AuditRetentionPassTest, AStoreFaultFailsThePassAndTheNextGoesOn) {
  WriteAged({500 * kDay, 450 * kDay});
  testing::FaultyStore faulty(*store_);
  AuditRetentionPass pass(faulty, clock_, Options());
  faulty.fail_writes = true;
  EXPECT_TRUE(absl::IsUnavailable(pass.RunOnce().status()));
  EXPECT_EQ(AgesLeft().size(), 2u);
  faulty.fail_writes = false;
  EXPECT_EQ(pass.RunOnce()->events_deleted, 2);
}

TEST(AuditRetentionTest, RetentionBelowADayIsRefusedInfinityAccepted) {
  EXPECT_TRUE(ValidateAuditRetention(absl::InfiniteDuration()).ok());
  EXPECT_TRUE(ValidateAuditRetention(absl::Hours(24)).ok());
  EXPECT_TRUE(ValidateAuditRetention(absl::Hours(9600)).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      ValidateAuditRetention(absl::Hours(24) - absl::Seconds(1))));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateAuditRetention(absl::Hours(9))));
  EXPECT_TRUE(
      absl::IsInvalidArgument(ValidateAuditRetention(absl::ZeroDuration())));
  EXPECT_TRUE(
      absl::IsInvalidArgument(ValidateAuditRetention(-absl::Hours(48))));
}

}  // namespace
}  // namespace identity::auth
