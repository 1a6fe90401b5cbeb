#include "auth/audit_trail.h"

#include <set>

#include "auth/key_expiry_pass.h"
#include "auth/secret_rewrap.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"
#include "testing/totp_device.h"

namespace identity::auth {
namespace {

using storage::AuditEventRecord;
using testing::AuthEnv;

class AuditTrailTest : public ::testing::Test {
 protected:
  // Every event, newest first, read a page of `page_size` at a time.
  std::vector<AuditEventRecord> All(absl::string_view user_name = "",
                                    int page_size = 3) {
    std::vector<AuditEventRecord> events;
    std::string token;
    do {
      absl::StatusOr<AuditPage> page =
          trail_.List(env_.admin, user_name, absl::UnixEpoch(),
                      absl::InfiniteFuture(), page_size, token);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      events.insert(events.end(), page->events.begin(), page->events.end());
      token = page->next_page_token;
    } while (!token.empty());
    return events;
  }

  AuthEnv env_;
  AuditTrail trail_{*env_.store};
};

TEST_F(AuditTrailTest, EveryEventTypeIsWrittenAndListedWithoutSecrets) {
  std::vector<std::string> secrets = {AuthEnv::kAdminPassword,
                                      AuthEnv::kAlicePassword};
  // Logins, failures and a lockout of a name that does not exist.
  absl::StatusOr<IssuedSession> session = env_.sessions.Start(env_.alice);
  ASSERT_TRUE(session.ok());
  secrets.push_back(session->token);
  for (int i = 0; i < 5; ++i) {
    Credentials wrong;
    wrong.password = Credentials::Password{"mallory", "guess-number-1"};
    wrong.client_address = "198.51.100.7";
    EXPECT_FALSE(env_.authenticator->Authenticate(wrong).ok());
  }
  secrets.push_back("guess-number-1");
  ASSERT_TRUE(env_.users.UnlockUser(env_.admin, "mallory").ok());
  // A code sent to a newly bound email.
  UserUpdate update;
  update.email = "alice@example.com";
  ASSERT_TRUE(env_.users.UpdateUser(env_.admin, "alice", update).ok());
  ASSERT_TRUE(
      env_.codes.Send(env_.alice, storage::VerificationCodeRecord::EMAIL).ok());
  secrets.push_back(env_.notifier.LastCode());
  // A key's life.
  absl::StatusOr<CreatedAccessKey> key =
      env_.keys.CreateAccessKey(env_.alice, "", "ci");
  ASSERT_TRUE(key.ok());
  secrets.push_back(key->secret_access_key);
  const std::string key_id = key->key.record.access_key_id();
  ASSERT_TRUE(env_.keys
                  .UpdateAccessKey(env_.alice, key_id,
                                   storage::AccessKeyRecord::INACTIVE,
                                   std::nullopt)
                  .ok());
  ASSERT_TRUE(env_.keys.DeleteAccessKey(env_.admin, key_id).ok());
  // The expiry pass: one key past the warning age, one expired.
  RequestedExpiry soon;
  soon.after = absl::Hours(2);
  for (const RequestedExpiry& expiry : {RequestedExpiry{}, soon}) {
    absl::StatusOr<CreatedAccessKey> aging =
        env_.keys.CreateAccessKey(env_.alice, "", "", expiry);
    ASSERT_TRUE(aging.ok());
    secrets.push_back(aging->secret_access_key);
  }
  env_.clock.Advance(absl::Hours(3));
  KeyExpiryPass pass(*env_.store, env_.clock, &env_.notifier,
                     {absl::InfiniteDuration(), absl::Hours(1)});
  ASSERT_TRUE(pass.RunOnce().ok());
  // An MFA device's life.
  absl::StatusOr<std::string> uri = env_.mfa.Enroll(env_.alice);
  ASSERT_TRUE(uri.ok());
  secrets.push_back(uri->substr(uri->find("secret=") + 7, 32));
  testing::TotpDevice device(*uri);
  const std::string first = device.CodeAt(env_.clock.Now());
  env_.clock.Advance(absl::Seconds(30));
  const std::string second = device.CodeAt(env_.clock.Now());
  ASSERT_TRUE(env_.mfa.Confirm(env_.alice, first, second).ok());
  secrets.push_back(first);
  secrets.push_back(second);
  ASSERT_TRUE(env_.mfa.Delete(env_.admin, "alice").ok());
  // A rewrap run (one event for the run, whatever it re-sealed).
  SecretRewrap rewrap(*env_.store, *env_.sealer, env_.clock);
  ASSERT_TRUE(rewrap.Run(env_.admin, SecretRewrapOptions{}).ok());
  // Password set, then the user deleted.
  ASSERT_TRUE(
      env_.users.SetPassword(env_.admin, "alice", "brand-new-password").ok());
  secrets.push_back("brand-new-password");
  ASSERT_TRUE(env_.users.DeleteUser(env_.admin, "alice").ok());

  const std::vector<AuditEventRecord> events = All();
  std::set<int> types;
  for (const AuditEventRecord& event : events) types.insert(event.type());
  for (int type = 1; type <= AuditEventRecord::Type_MAX; ++type) {
    EXPECT_EQ(types.count(type), 1u) << AuditEventRecord::Type_Name(type);
  }
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i - 1].event_id(), events[i].event_id());
    EXPECT_GE(events[i - 1].time_micros(), events[i].time_micros());
  }
  // Newest first: the deletion leads, the bootstrap admin's creation ends.
  EXPECT_EQ(events.front().type(), AuditEventRecord::USER_DELETED);
  EXPECT_EQ(events.back().type(), AuditEventRecord::USER_CREATED);
  EXPECT_EQ(events.back().user_name(), "root");

  for (const AuditEventRecord& event : events) {
    const std::string bytes = event.SerializeAsString();
    for (const std::string& secret : secrets) {
      ASSERT_FALSE(secret.empty());
      EXPECT_EQ(bytes.find(secret), std::string::npos)
          << AuditEventRecord::Type_Name(event.type())
          << " holds a secret the test used";
    }
  }
  for (const AuditEventRecord& event : events) {
    if (event.type() == AuditEventRecord::LOGIN_FAILED) {
      // No user is called so: only a keyed hash of what was typed.
      EXPECT_EQ(event.user_name(),
                env_.throttle.RecordedName("mallory", false));
      EXPECT_EQ(event.client_address(), "198.51.100.7");
    }
    if (event.type() == AuditEventRecord::ACCESS_KEY_UPDATED) {
      EXPECT_EQ(event.detail(), "status=INACTIVE");
      EXPECT_EQ(event.access_key_id(), key_id);
      EXPECT_EQ(event.actor_user_name(), "alice");
      EXPECT_EQ(event.client_address(), "192.0.2.1");
    }
  }
}

TEST_F(AuditTrailTest, FiltersByUserAsActorOrSubject) {
  ASSERT_TRUE(env_.keys.CreateAccessKey(env_.alice, "", "").ok());
  ASSERT_TRUE(env_.keys.CreateAccessKey(env_.admin, "alice", "").ok());
  ASSERT_TRUE(env_.keys.CreateAccessKey(env_.admin, "", "").ok());
  // alice: created by root, her own key, the key root made for her.
  const std::vector<AuditEventRecord> alices = All("ALICE");
  ASSERT_EQ(alices.size(), 3u);
  for (const AuditEventRecord& event : alices) {
    EXPECT_TRUE(event.user_name() == "alice" ||
                event.actor_user_name() == "alice");
  }
  // root acted in all but alice's own key, and was created.
  EXPECT_EQ(All("root").size(), 4u);
  EXPECT_TRUE(All("nobody").empty());
}

TEST_F(AuditTrailTest, FiltersByTimeRange) {
  const absl::Time start = env_.clock.Now();
  env_.clock.Advance(absl::Hours(1));
  ASSERT_TRUE(env_.keys.CreateAccessKey(env_.alice, "", "").ok());
  env_.clock.Advance(absl::Hours(1));
  ASSERT_TRUE(env_.keys.CreateAccessKey(env_.alice, "", "").ok());
  auto in_range = [&](absl::Time from, absl::Time to) {
    return trail_.List(env_.admin, "", from, to, 0, "").value().events.size();
  };
  EXPECT_EQ(in_range(start, start + absl::Hours(1)), 2u);  // the two users
  EXPECT_EQ(in_range(start + absl::Hours(1), start + absl::Hours(2)), 1u);
  EXPECT_EQ(in_range(start + absl::Hours(1), absl::InfiniteFuture()), 2u);
  EXPECT_EQ(in_range(start + absl::Hours(3), absl::InfiniteFuture()), 0u);
  EXPECT_TRUE(absl::IsInvalidArgument(
      trail_.List(env_.admin, "", start, start, 0, "").status()));
}

TEST_F(AuditTrailTest, IsForAdminsAndValidatesTokens) {
  EXPECT_TRUE(
      absl::IsPermissionDenied(trail_
                                   .List(env_.alice, "", absl::UnixEpoch(),
                                         absl::InfiniteFuture(), 0, "")
                                   .status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      trail_
          .List(env_.admin, "", absl::UnixEpoch(), absl::InfiniteFuture(), 0,
                "not-a-token")
          .status()));
}

TEST_F(AuditTrailTest, AnEventIsStoredIfAndOnlyIfItsChangeIs) {
  const size_t before = All().size();
  ASSERT_TRUE(env_.keys.CreateAccessKey(env_.alice, "", "").ok());
  ASSERT_TRUE(env_.keys.CreateAccessKey(env_.alice, "", "").ok());
  // Over the limit: refused, so no event.
  EXPECT_FALSE(env_.keys.CreateAccessKey(env_.alice, "", "").ok());
  // The last admin cannot go: refused, so no event.
  EXPECT_FALSE(env_.users.DeleteUser(env_.admin, "root").ok());
  EXPECT_EQ(All().size(), before + 2);
}

}  // namespace
}  // namespace identity::auth
