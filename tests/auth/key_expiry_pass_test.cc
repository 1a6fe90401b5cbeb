// The key expiry pass on every store engine: each expiry, deactivation and
// warning happens once, whatever the number of passes, replicas and
// restarts; a failed notice is retried; passes are bounded.
#include "auth/key_expiry_pass.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"
#include "testing/store_engines.h"
#include "testing/store_records.h"

namespace identity::auth {
namespace {

using storage::AccessKeyRecord;
using storage::AuditEventRecord;
using testing::Key;
using testing::User;

constexpr absl::Duration kDay = absl::Hours(24);
constexpr char kSecretMarker[] = "SECRETSECRETSECRET";

KeyAgePolicy NinetyDays() { return {90 * kDay, 72 * kDay}; }

class KeyExpiryPassTest : public testing::StoreEngineTest {
 protected:
  void SetUp() override {
    store_ = OpenStore(false);
    ASSERT_NE(store_, nullptr);
    storage::UserRecord alice = User("U1", "alice");
    alice.set_email("alice@example.com");
    ASSERT_TRUE(store_->CreateUser(alice, {}).ok());
    storage::UserRecord bob = User("U2", "bob");
    bob.set_mobile("+8613800005678");
    ASSERT_TRUE(store_->CreateUser(bob, {}).ok());
    ASSERT_TRUE(store_->CreateUser(User("U3", "carol"), {}).ok());
  }

  // A key of `user_id` created now, expiring `expires_in` from now (none
  // when infinite).
  void AddKey(const std::string& id, const std::string& user_id,
              absl::Duration expires_in = absl::InfiniteDuration()) {
    AccessKeyRecord key = Key(id, user_id);
    key.set_create_time_micros(absl::ToUnixMicros(clock_.Now()));
    if (expires_in != absl::InfiniteDuration()) {
      key.set_expire_time_micros(absl::ToUnixMicros(clock_.Now() + expires_in));
    }
    // Stands in for the sealed secret: the notice must never carry it.
    key.mutable_sealed_secret()->set_ciphertext(kSecretMarker);
    ASSERT_TRUE(store_->CreateAccessKey(key, 10, std::nullopt, {}).ok());
  }

  std::vector<AuditEventRecord> Events(AuditEventRecord::Type type) {
    storage::AuditQuery query;
    query.limit = 1000;
    std::vector<AuditEventRecord> matching;
    std::vector<AuditEventRecord> events =
        store_->ListAuditEvents(query).value();
    for (AuditEventRecord& event : events) {
      if (event.type() == type) matching.push_back(std::move(event));
    }
    return matching;
  }

  KeyExpiryPassResult Run(KeyExpiryPass& pass) {
    absl::StatusOr<KeyExpiryPassResult> result = pass.RunOnce();
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(KeyExpiryPassResult{});
  }

  std::unique_ptr<storage::Store> store_;
  testing::FakeClock clock_;
  testing::RecordingNotifier notifier_;
};
IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(KeyExpiryPassTest);

TEST_P(KeyExpiryPassTest, ExpiryIsRecordedOnceAcrossPassesAndReplicas) {
  AddKey("AKEXPIRING0000000001", "U1", absl::Hours(1));
  AddKey("AKLASTING00000000001", "U1");
  KeyExpiryPass replica_a(*store_, clock_, &notifier_, {});
  KeyExpiryPass replica_b(*store_, clock_, &notifier_, {});
  EXPECT_EQ(Run(replica_a).expiries_recorded, 0);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Run(replica_a).expiries_recorded, 1);
  EXPECT_EQ(Run(replica_a).expiries_recorded, 0);
  EXPECT_EQ(Run(replica_b).expiries_recorded, 0);
  std::vector<AuditEventRecord> expired =
      Events(AuditEventRecord::ACCESS_KEY_EXPIRED);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].access_key_id(), "AKEXPIRING0000000001");
  EXPECT_EQ(expired[0].user_name(), "alice");
  EXPECT_EQ(expired[0].actor_user_name(), "system:key-expiry");
  EXPECT_TRUE(
      store_->GetAccessKey("AKEXPIRING0000000001").value().expiry_recorded());
  // The key stays (and counts) until its owner deletes it.
  EXPECT_EQ(store_->ListAccessKeys("U1").value().size(), 2u);
}

TEST_P(KeyExpiryPassTest, DueDeactivationSetsInactiveUnlessCancelled) {
  AddKey("AKOLD000000000000001", "U1");
  AddKey("AKOLD000000000000002", "U2");
  for (const char* id : {"AKOLD000000000000001", "AKOLD000000000000002"}) {
    ASSERT_TRUE(store_
                    ->UpdateAccessKey(id,
                                      [&](AccessKeyRecord& key) {
                                        key.set_deactivate_time_micros(
                                            absl::ToUnixMicros(clock_.Now() +
                                                               absl::Hours(2)));
                                        return absl::OkStatus();
                                      },
                                      {})
                    .ok());
  }
  // bob cancels his (a status set clears the schedule).
  ASSERT_TRUE(store_
                  ->UpdateAccessKey("AKOLD000000000000002",
                                    [](AccessKeyRecord& key) {
                                      key.set_status(AccessKeyRecord::ACTIVE);
                                      key.set_deactivate_time_micros(0);
                                      return absl::OkStatus();
                                    },
                                    {})
                  .ok());
  KeyExpiryPass pass(*store_, clock_, &notifier_, {});
  EXPECT_EQ(Run(pass).deactivations, 0);
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(Run(pass).deactivations, 1);
  EXPECT_EQ(Run(pass).deactivations, 0);
  AccessKeyRecord old = store_->GetAccessKey("AKOLD000000000000001").value();
  EXPECT_EQ(old.status(), AccessKeyRecord::INACTIVE);
  EXPECT_EQ(old.deactivate_time_micros(), 0);
  EXPECT_EQ(store_->GetAccessKey("AKOLD000000000000002").value().status(),
            AccessKeyRecord::ACTIVE);
  std::vector<AuditEventRecord> updates =
      Events(AuditEventRecord::ACCESS_KEY_UPDATED);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].access_key_id(), "AKOLD000000000000001");
  EXPECT_NE(updates[0].detail().find("status=INACTIVE"), std::string::npos);
}

TEST_P(KeyExpiryPassTest, OwnerIsWarnedOnceWithIdAndDateNeverTheSecret) {
  AddKey("AKALICE0000000000001", "U1");
  AddKey("AKBOB00000000000001X", "U2");
  AddKey("AKCAROL0000000000001", "U3");
  KeyExpiryPass pass(*store_, clock_, &notifier_, NinetyDays());
  clock_.Advance(72 * kDay - absl::Seconds(1));
  EXPECT_EQ(Run(pass).warnings, 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Run(pass).warnings, 3);
  ASSERT_EQ(notifier_.count(), 2u);  // carol has nowhere to be told

  // Later passes, a restarted server and another replica send nothing more.
  EXPECT_EQ(Run(pass).warnings, 0);
  KeyExpiryPass restarted(*store_, clock_, &notifier_, NinetyDays());
  EXPECT_EQ(Run(restarted).warnings, 0);
  EXPECT_EQ(notifier_.count(), 2u);

  std::vector<AuditEventRecord> warnings =
      Events(AuditEventRecord::ACCESS_KEY_AGE_WARNING);
  ASSERT_EQ(warnings.size(), 3u);
  std::map<std::string, std::string> detail_by_user;
  for (const AuditEventRecord& event : warnings) {
    detail_by_user[event.user_name()] = event.detail();
    EXPECT_EQ(event.detail().find(kSecretMarker), std::string::npos);
  }
  EXPECT_NE(detail_by_user["alice"].find("channel=EMAIL to=a***@example.com"),
            std::string::npos);
  EXPECT_NE(detail_by_user["bob"].find("channel=SMS"), std::string::npos);
  EXPECT_NE(detail_by_user["carol"].find("not sent"), std::string::npos);
}

TEST_P(KeyExpiryPassTest, NoticeNamesTheKeyAndDatesOnly) {
  AddKey("AKALICE0000000000001", "U1", 90 * kDay);
  std::vector<Notification> sent;
  class Capture final : public Notifier {
   public:
    explicit Capture(std::vector<Notification>& sent) : sent_(sent) {}
    absl::Status Send(const Notification& n) override {
      sent_.push_back(n);
      return absl::OkStatus();
    }

   private:
    std::vector<Notification>& sent_;
  } capture(sent);
  KeyExpiryPass pass(*store_, clock_, &capture, NinetyDays());
  clock_.Advance(80 * kDay);
  EXPECT_EQ(Run(pass).warnings, 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].channel, "EMAIL");
  EXPECT_EQ(sent[0].destination, "alice@example.com");
  EXPECT_EQ(sent[0].user_name, "alice");
  const std::string& text = sent[0].message;
  EXPECT_NE(text.find("AKALICE0000000000001"), std::string::npos) << text;
  EXPECT_NE(text.find("80 days old"), std::string::npos) << text;
  EXPECT_NE(text.find(FormatUtcTime(
                absl::ToUnixMicros(clock_.Now() - 80 * kDay + 90 * kDay))),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find(kSecretMarker), std::string::npos);
}

TEST_P(KeyExpiryPassTest, WithoutANotifierTheWarningIsRecordedOnce) {
  AddKey("AKALICE0000000000001", "U1");
  KeyExpiryPass pass(*store_, clock_, nullptr, NinetyDays());
  clock_.Advance(73 * kDay);
  EXPECT_EQ(Run(pass).warnings, 1);
  EXPECT_EQ(Run(pass).warnings, 0);
  std::vector<AuditEventRecord> warnings =
      Events(AuditEventRecord::ACCESS_KEY_AGE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].detail().find("no notifier"), std::string::npos);
}

TEST_P(KeyExpiryPassTest, RefusedNoticeIsRetriedOnALaterPass) {
  AddKey("AKALICE0000000000001", "U1");
  KeyExpiryPass pass(*store_, clock_, &notifier_, NinetyDays());
  clock_.Advance(73 * kDay);
  notifier_.fail = true;
  KeyExpiryPassResult failed = Run(pass);
  EXPECT_EQ(failed.warnings, 0);
  EXPECT_EQ(failed.notices_failed, 1);
  EXPECT_EQ(store_->GetAccessKey("AKALICE0000000000001")
                .value()
                .age_warning_time_micros(),
            0);
  EXPECT_TRUE(Events(AuditEventRecord::ACCESS_KEY_AGE_WARNING).empty());
  notifier_.fail = false;
  EXPECT_EQ(Run(pass).warnings, 1);
  EXPECT_EQ(notifier_.count(), 1u);
  EXPECT_EQ(Events(AuditEventRecord::ACCESS_KEY_AGE_WARNING).size(), 1u);
}

TEST_P(KeyExpiryPassTest, InactiveAndExpiredKeysGetNoWarning) {
  AddKey("AKINACTIVE0000000001", "U1");
  AddKey("AKEXPIRED00000000001", "U1", 73 * kDay);
  ASSERT_TRUE(store_
                  ->UpdateAccessKey("AKINACTIVE0000000001",
                                    [](AccessKeyRecord& key) {
                                      key.set_status(AccessKeyRecord::INACTIVE);
                                      return absl::OkStatus();
                                    },
                                    {})
                  .ok());
  KeyExpiryPass pass(*store_, clock_, &notifier_, NinetyDays());
  clock_.Advance(74 * kDay);
  KeyExpiryPassResult result = Run(pass);
  EXPECT_EQ(result.warnings, 0);
  EXPECT_EQ(result.expiries_recorded, 1);
  EXPECT_EQ(notifier_.count(), 0u);
}

TEST_P(KeyExpiryPassTest, PassesAreBoundedInBatchesAndNotices) {
  for (int i = 0; i < 7; ++i)
    AddKey(absl::StrCat("AKBATCH00000000000", i), "U1");
  KeyExpiryPassOptions options;
  options.batch_size = 3;
  options.max_notices_per_pass = 2;
  KeyExpiryPass pass(*store_, clock_, &notifier_, NinetyDays(), options);
  clock_.Advance(73 * kDay);
  KeyExpiryPassResult first = Run(pass);
  EXPECT_EQ(first.keys_seen, 7);
  EXPECT_EQ(first.warnings, 2);
  EXPECT_EQ(Run(pass).warnings, 2);
  EXPECT_EQ(Run(pass).warnings, 2);
  EXPECT_EQ(Run(pass).warnings, 1);
  EXPECT_EQ(Run(pass).warnings, 0);
  EXPECT_EQ(notifier_.count(), 7u);
}

TEST_P(KeyExpiryPassTest, ReplicasRacingSendEachNoticeOnce) {
  for (int i = 0; i < 20; ++i) {
    AddKey(absl::StrCat("AKRACE0000000000", 1000 + i), i % 2 ? "U1" : "U2");
  }
  clock_.Advance(73 * kDay);
  KeyExpiryPassOptions options;
  options.batch_size = 4;
  KeyExpiryPass a(*store_, clock_, &notifier_, NinetyDays(), options);
  KeyExpiryPass b(*store_, clock_, &notifier_, NinetyDays(), options);
  std::thread other([&] { (void)b.RunOnce(); });
  (void)a.RunOnce();
  other.join();
  // Whatever a contended pass gave up on, the next one finishes.
  (void)a.RunOnce();
  EXPECT_EQ(notifier_.count(), 20u);
  EXPECT_EQ(Events(AuditEventRecord::ACCESS_KEY_AGE_WARNING).size(), 20u);
}

}  // namespace
}  // namespace identity::auth
