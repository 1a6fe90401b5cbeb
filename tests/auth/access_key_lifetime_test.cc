// Key expiry, the maximum age, scheduled deactivation and the credential
// report, through the auth layer over a real store, with the fake clock.
#include "auth/access_key_lifetime.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "auth/access_key_manager.h"
#include "auth/credential_report.h"
#include "auth/error_reason.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;

constexpr absl::Duration kDay = absl::Hours(24);

KeyAgePolicy NinetyDays() {
  KeyAgePolicy policy;
  policy.max_age = 90 * kDay;
  policy.warn_age = DefaultWarnAge(policy.max_age);
  return policy;
}

TEST(KeyAgePolicy, DefaultWarningIsEightyPercentAndBadPoliciesAreRefused) {
  EXPECT_EQ(DefaultWarnAge(90 * kDay), 72 * kDay);
  EXPECT_EQ(DefaultWarnAge(absl::InfiniteDuration()), absl::InfiniteDuration());
  EXPECT_TRUE(ValidateKeyAgePolicy(KeyAgePolicy{}).ok());
  EXPECT_TRUE(ValidateKeyAgePolicy(NinetyDays()).ok());
  EXPECT_FALSE(ValidateKeyAgePolicy({90 * kDay, 90 * kDay}).ok());
  EXPECT_FALSE(ValidateKeyAgePolicy({-kDay, absl::InfiniteDuration()}).ok());
  EXPECT_FALSE(ValidateKeyAgePolicy({absl::InfiniteDuration(), -kDay}).ok());
}

TEST(AccessKeyLifetime, WithoutAPolicyKeysNeverExpire) {
  AuthEnv env;
  CreatedAccessKey key = env.keys.CreateAccessKey(env.alice, "", "").value();
  EXPECT_EQ(key.key.record.expire_time_micros(), 0);
  env.clock.Advance(3650 * kDay);
  OwnedAccessKey listed = env.keys.ListAccessKeys(env.alice, "").value()[0];
  EXPECT_TRUE(listed.usable);
  EXPECT_FALSE(listed.expired);
  EXPECT_FALSE(listed.rotation_due);
}

TEST(AccessKeyLifetime, MaxAgeAppliesToKeysCreatedWithoutExpiry) {
  AuthEnv env(2, NinetyDays());
  const absl::Time created = env.clock.Now();
  CreatedAccessKey key = env.keys.CreateAccessKey(env.alice, "", "").value();
  EXPECT_EQ(key.key.record.expire_time_micros(),
            absl::ToUnixMicros(created + 90 * kDay));
  EXPECT_TRUE(key.key.usable);
  // Stored so, not computed at read time: another replica with another
  // flag sees the same expiry.
  EXPECT_EQ(env.store->GetAccessKey(key.key.record.access_key_id())
                .value()
                .expire_time_micros(),
            absl::ToUnixMicros(created + 90 * kDay));
}

TEST(AccessKeyLifetime, RequestedExpiryIsCheckedAgainstNowAndTheMaximum) {
  AuthEnv env(2, NinetyDays());
  const absl::Time now = env.clock.Now();
  RequestedExpiry in_a_week;
  in_a_week.after = 7 * kDay;
  CreatedAccessKey key =
      env.keys.CreateAccessKey(env.alice, "", "", in_a_week).value();
  EXPECT_EQ(key.key.record.expire_time_micros(),
            absl::ToUnixMicros(now + 7 * kDay));

  RequestedExpiry at;
  at.at = now + 30 * kDay;
  EXPECT_EQ(env.keys.CreateAccessKey(env.alice, "", "", at)
                .value()
                .key.record.expire_time_micros(),
            absl::ToUnixMicros(now + 30 * kDay));
  ASSERT_TRUE(
      env.keys.DeleteAccessKey(env.alice, key.key.record.access_key_id()).ok());

  std::vector<RequestedExpiry> refused(5);
  refused[0].at = now;              // not in the future
  refused[1].at = now + 91 * kDay;  // beyond the maximum
  refused[2].after = absl::ZeroDuration();
  refused[3].after = 91 * kDay;
  refused[4].at = now + kDay;  // both at once
  refused[4].after = kDay;
  for (const RequestedExpiry& expiry : refused) {
    absl::Status status =
        env.keys.CreateAccessKey(env.alice, "", "", expiry).status();
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  }
  // Nothing was created by the refusals.
  EXPECT_EQ(env.keys.ListAccessKeys(env.alice, "").value().size(), 1u);
}

TEST(AccessKeyLifetime, ExpiredKeyIsListedUnusableAndCountsUntilDeleted) {
  AuthEnv env;
  RequestedExpiry one_hour;
  one_hour.after = absl::Hours(1);
  CreatedAccessKey expiring =
      env.keys.CreateAccessKey(env.alice, "", "short", one_hour).value();
  // One second later, so it lists second (oldest first).
  env.clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(env.keys.CreateAccessKey(env.alice, "", "long").ok());

  env.clock.Advance(absl::Hours(1) - absl::Seconds(2));
  EXPECT_TRUE(env.keys.ListAccessKeys(env.alice, "").value()[0].usable);
  env.clock.Advance(absl::Seconds(1));
  std::vector<OwnedAccessKey> keys =
      env.keys.ListAccessKeys(env.alice, "").value();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].record.access_key_id(),
            expiring.key.record.access_key_id());
  EXPECT_TRUE(keys[0].expired);
  EXPECT_FALSE(keys[0].usable);
  EXPECT_EQ(keys[0].record.status(), storage::AccessKeyRecord::ACTIVE);
  EXPECT_TRUE(keys[1].usable);

  // Still a slot taken.
  absl::Status third = env.keys.CreateAccessKey(env.alice, "", "").status();
  EXPECT_EQ(ReasonOf(third), std::string(kAccessKeyLimitExceeded));
  // Cannot be brought back to life.
  const std::string id = expiring.key.record.access_key_id();
  absl::Status reactivate =
      env.keys
          .UpdateAccessKey(env.alice, id, storage::AccessKeyRecord::INACTIVE,
                           std::nullopt)
          .status();
  ASSERT_TRUE(reactivate.ok()) << reactivate;
  reactivate =
      env.keys
          .UpdateAccessKey(env.alice, id, storage::AccessKeyRecord::ACTIVE,
                           std::nullopt)
          .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(reactivate)) << reactivate;
  EXPECT_NE(reactivate.message().find("expired"), absl::string_view::npos);
  ASSERT_TRUE(env.keys.DeleteAccessKey(env.alice, id).ok());
  EXPECT_TRUE(env.keys.CreateAccessKey(env.alice, "", "").ok());
}

TEST(AccessKeyLifetime, RotationIsDueAtTheWarningAgeUntilExpiry) {
  AuthEnv env(2, NinetyDays());
  ASSERT_TRUE(env.keys.CreateAccessKey(env.alice, "", "").ok());
  env.clock.Advance(72 * kDay - absl::Seconds(1));
  EXPECT_FALSE(env.keys.ListAccessKeys(env.alice, "").value()[0].rotation_due);
  env.clock.Advance(absl::Seconds(1));
  OwnedAccessKey due = env.keys.ListAccessKeys(env.alice, "").value()[0];
  EXPECT_TRUE(due.rotation_due);
  EXPECT_TRUE(due.usable);
  env.clock.Advance(18 * kDay);
  OwnedAccessKey expired = env.keys.ListAccessKeys(env.alice, "").value()[0];
  EXPECT_TRUE(expired.expired);
  EXPECT_FALSE(expired.rotation_due);
  EXPECT_FALSE(expired.usable);
}

TEST(ScheduledDeactivation, KeyWorksUntilTheTimeThenNot) {
  AuthEnv env;
  const std::string id = env.keys.CreateAccessKey(env.alice, "", "old")
                             .value()
                             .key.record.access_key_id();
  OwnedAccessKey scheduled = env.keys
                                 .UpdateAccessKey(env.alice, id, std::nullopt,
                                                  std::nullopt, absl::Hours(24))
                                 .value();
  EXPECT_EQ(scheduled.record.deactivate_time_micros(),
            absl::ToUnixMicros(env.clock.Now() + absl::Hours(24)));
  EXPECT_TRUE(scheduled.usable);
  env.clock.Advance(absl::Hours(24));
  OwnedAccessKey due = env.keys.ListAccessKeys(env.alice, "").value()[0];
  // Refused from the moment it is due, before any pass wrote INACTIVE.
  EXPECT_FALSE(due.usable);
  EXPECT_EQ(due.record.status(), storage::AccessKeyRecord::ACTIVE);
  // A due key cannot be scheduled again; setting a status ends the schedule.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      env.keys
          .UpdateAccessKey(env.alice, id, std::nullopt, std::nullopt,
                           absl::Hours(1))
          .status()));
  OwnedAccessKey reactivated =
      env.keys
          .UpdateAccessKey(env.alice, id, storage::AccessKeyRecord::ACTIVE,
                           std::nullopt)
          .value();
  EXPECT_EQ(reactivated.record.deactivate_time_micros(), 0);
  EXPECT_TRUE(reactivated.usable);
}

TEST(ScheduledDeactivation, BadRequestsAreRefused) {
  AuthEnv env;
  const std::string id = env.keys.CreateAccessKey(env.alice, "", "")
                             .value()
                             .key.record.access_key_id();
  for (absl::Duration after :
       {absl::ZeroDuration(), -absl::Hours(1), 91 * kDay}) {
    EXPECT_TRUE(absl::IsInvalidArgument(
        env.keys
            .UpdateAccessKey(env.alice, id, std::nullopt, std::nullopt, after)
            .status()))
        << after;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(
      env.keys
          .UpdateAccessKey(env.alice, id, storage::AccessKeyRecord::ACTIVE,
                           std::nullopt, absl::Hours(1))
          .status()));
  ASSERT_TRUE(env.keys
                  .UpdateAccessKey(env.alice, id,
                                   storage::AccessKeyRecord::INACTIVE,
                                   std::nullopt)
                  .ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      env.keys
          .UpdateAccessKey(env.alice, id, std::nullopt, std::nullopt,
                           absl::Hours(1))
          .status()));
  // Another user's key is not found, as for any update.
  EXPECT_TRUE(absl::IsNotFound(
      env.keys
          .UpdateAccessKey(env.admin, "AKIAUNKNOWNUNKNOWN00", std::nullopt,
                           std::nullopt, absl::Hours(1))
          .status()));
}

// The report checked row by row against the store on a few hundred users.
TEST(CredentialReport, EveryUserAndKeyOnceAcrossPagesMatchingTheStore) {
  AuthEnv env(2, NinetyDays());
  constexpr int kUsers = 300;
  for (int i = 0; i < kUsers; ++i) {
    NewUser user;
    user.user_name = absl::StrCat("user", i);
    user.password = absl::StrCat("password-of-", i);
    ASSERT_TRUE(env.users.CreateUser(env.admin, user).ok());
    // Users with 0, 1 and 2 keys, of different ages.
    for (int k = 0; k < i % 3; ++k) {
      ASSERT_TRUE(env.keys.CreateAccessKey(env.admin, user.user_name, "").ok());
    }
    if (i == 100) env.clock.Advance(80 * kDay);
  }
  env.clock.Advance(kDay);
  CredentialReport report(*env.store, env.users, env.clock, NinetyDays());

  std::map<std::string, std::vector<CredentialReportRow>> by_user;
  std::string token;
  int pages = 0;
  do {
    CredentialReportPage page = report.Page(env.admin, 7, token).value();
    EXPECT_EQ(page.generate_time, env.clock.Now());
    std::set<std::string> users_on_page;
    for (CredentialReportRow& row : page.rows) {
      users_on_page.insert(row.user_name);
      by_user[row.user_name].push_back(std::move(row));
    }
    EXPECT_LE(users_on_page.size(), 7u);
    token = page.next_page_token;
    ASSERT_LT(++pages, 100);
  } while (!token.empty());

  ASSERT_EQ(by_user.size(), kUsers + 2u);  // with root and alice
  for (const auto& [name, rows] : by_user) {
    storage::UserRecord user = env.store->GetUserByName(name).value();
    std::vector<storage::AccessKeyRecord> keys =
        env.store->ListAccessKeys(user.user_id()).value();
    ASSERT_EQ(rows.size(), std::max<size_t>(1, keys.size())) << name;
    for (size_t i = 0; i < rows.size(); ++i) {
      const CredentialReportRow& row = rows[i];
      EXPECT_EQ(row.user_id, user.user_id());
      EXPECT_EQ(row.user_create_time_micros, user.create_time_micros());
      EXPECT_EQ(row.password_change_time_micros, user.create_time_micros());
      EXPECT_FALSE(row.mfa_active);
      EXPECT_TRUE(row.user_enabled);
      if (keys.empty()) {
        EXPECT_FALSE(row.key.has_value());
        continue;
      }
      ASSERT_TRUE(row.key.has_value());
      EXPECT_EQ(row.key->access_key_id(), keys[i].access_key_id());
      EXPECT_FALSE(row.key->has_sealed_secret());
      EXPECT_EQ(row.key->expire_time_micros(), keys[i].expire_time_micros());
      EXPECT_EQ(
          row.key_age,
          env.clock.Now() - absl::FromUnixMicros(keys[i].create_time_micros()));
      // Keys of the first users are 81 days old: past the 72-day warning.
      EXPECT_EQ(row.rotation_due, row.key_age >= 72 * kDay) << name;
      EXPECT_TRUE(row.usable);
    }
  }
}

TEST(CredentialReport, PasswordChangeTimeFollowsSetPassword) {
  AuthEnv env;
  env.clock.Advance(absl::Hours(5));
  ASSERT_TRUE(
      env.users.SetPassword(env.admin, "alice", "a-new-password-2").ok());
  CredentialReport report(*env.store, env.users, env.clock, {});
  CredentialReportPage page = report.Page(env.admin, 0, "").value();
  ASSERT_EQ(page.rows.size(), 2u);
  const CredentialReportRow& alice =
      page.rows[0].user_name == "alice" ? page.rows[0] : page.rows[1];
  EXPECT_EQ(alice.password_change_time_micros,
            absl::ToUnixMicros(env.clock.Now()));
}

TEST(CredentialReport, OnlyAdminsAndReadersMayReadIt) {
  AuthEnv env;
  CredentialReport report(*env.store, env.users, env.clock, {});
  EXPECT_TRUE(absl::IsPermissionDenied(report.Page(env.alice, 0, "").status()));
  Principal verifier;
  verifier.user_id = verifier.user_name = "svc:gateway";
  verifier.is_service = verifier.read_only = verifier.verifier = true;
  EXPECT_TRUE(absl::IsPermissionDenied(report.Page(verifier, 0, "").status()));
  Principal reader = verifier;
  reader.verifier = false;
  reader.is_admin = true;
  EXPECT_TRUE(report.Page(reader, 0, "").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(report.Page(reader, -1, "").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      report.Page(reader, 10, "%%%not-a-token").status()));
}

}  // namespace
}  // namespace identity::auth
