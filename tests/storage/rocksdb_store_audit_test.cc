// The audit events of the store (on every engine): events commit with their
// change, list newest first by time and user, and survive a restart.
#include <vector>

#include "gtest/gtest.h"
#include "storage/store.h"
#include "testing/store_engines.h"
#include "testing/store_records.h"

namespace identity::storage {
namespace {

using testing::User;

AuditEventRecord Event(AuditEventRecord::Type type, int64_t time,
                       const std::string& user, const std::string& actor) {
  AuditEventRecord event;
  event.set_type(type);
  event.set_time_micros(time);
  event.set_user_name(user);
  event.set_actor_user_name(actor);
  return event;
}

class StoreAuditTest : public testing::StoreEngineTest {
 protected:
  void Open() {
    store_ = OpenStore(false, [this](const AuditEventRecord& event) {
      observed_.push_back(event);
    });
    ASSERT_NE(store_, nullptr);
  }
  std::vector<AuditEventRecord> List(AuditQuery query) {
    return store_->ListAuditEvents(query).value();
  }

  std::unique_ptr<Store> store_;
  std::vector<AuditEventRecord> observed_;
};
IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(StoreAuditTest);

TEST_P(StoreAuditTest, AnEventCommitsWithItsChangeOrNotAtAll) {
  Open();
  ASSERT_TRUE(store_
                  ->CreateUser(User("U1", "alice"),
                               {Event(AuditEventRecord::USER_CREATED, 10,
                                      "alice", "root")})
                  .ok());
  // A refused change (the name is taken) writes and reports no event.
  EXPECT_TRUE(absl::IsAlreadyExists(store_->CreateUser(
      User("U2", "ALICE"),
      {Event(AuditEventRecord::USER_CREATED, 11, "ALICE", "root")})));
  // A mutation that aborts writes none either.
  EXPECT_FALSE(
      store_
          ->UpdateUser(
              "U1", [](UserRecord&) { return absl::AbortedError("no"); }, false,
              {Event(AuditEventRecord::USER_UPDATED, 12, "alice", "root")})
          .ok());
  const std::vector<AuditEventRecord> events = List({});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), AuditEventRecord::USER_CREATED);
  EXPECT_EQ(events[0].event_id().size(), 32u);
  ASSERT_EQ(observed_.size(), 1u);
  EXPECT_EQ(observed_[0].event_id(), events[0].event_id());
}

TEST_P(StoreAuditTest, ListsNewestFirstByTimeAndUserAndSurvivesARestart) {
  Open();
  ASSERT_TRUE(store_->CreateUser(User("U1", "alice"), {}).ok());
  // Several events in one transaction, and events at equal times.
  ASSERT_TRUE(
      store_
          ->UpdateLoginAttempts(
              "bob",
              [](LoginAttemptsRecord& r) { r.set_consecutive_failures(1); },
              {Event(AuditEventRecord::LOGIN_FAILED, 100, "bob", ""),
               Event(AuditEventRecord::USER_LOCKED, 100, "bob", "")})
          .ok());
  ASSERT_TRUE(
      store_
          ->UpdateLoginAttempts(
              "alice", [](LoginAttemptsRecord& r) { r.Clear(); },
              {Event(AuditEventRecord::USER_UNLOCKED, 200, "alice", "Bob")})
          .ok());
  ASSERT_TRUE(
      store_
          ->UpdateLoginAttempts(
              "carol", [](LoginAttemptsRecord& r) { r.Clear(); },
              {Event(AuditEventRecord::USER_UNLOCKED, 300, "carol", "carol")})
          .ok());
  store_.reset();
  Open();

  std::vector<AuditEventRecord> all = List({});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].user_name(), "carol");
  EXPECT_EQ(all[1].user_name(), "alice");
  EXPECT_EQ(all[2].type(), AuditEventRecord::USER_LOCKED);   // same time,
  EXPECT_EQ(all[3].type(), AuditEventRecord::LOGIN_FAILED);  // written first

  AuditQuery bob;
  bob.user_name = "BOB";  // as subject twice, as actor once
  ASSERT_EQ(List(bob).size(), 3u);
  AuditQuery carol;
  carol.user_name = "carol";  // actor and subject: listed once
  EXPECT_EQ(List(carol).size(), 1u);

  AuditQuery range;
  range.start_micros = 100;
  range.end_micros = 300;  // exclusive
  EXPECT_EQ(List(range).size(), 3u);
  range.start_micros = 101;
  EXPECT_EQ(List(range).size(), 1u);

  AuditQuery page;
  page.limit = 2;
  std::vector<AuditEventRecord> first = List(page);
  ASSERT_EQ(first.size(), 2u);
  page.before_event_id = first.back().event_id();
  std::vector<AuditEventRecord> second = List(page);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].event_id(), all[2].event_id());
  bob.before_event_id = all[2].event_id();
  ASSERT_EQ(List(bob).size(), 1u);
  EXPECT_EQ(List(bob)[0].type(), AuditEventRecord::LOGIN_FAILED);
}

}  // namespace
}  // namespace identity::storage
