#include "auth/credential_report.h"

#include <utility>

namespace identity::auth {

CredentialReport::CredentialReport(storage::Store& store, UserManager& users,
                                   const Clock& clock, KeyAgePolicy age_policy)
    : store_(store), users_(users), clock_(clock), age_policy_(age_policy) {}

absl::StatusOr<CredentialReportPage> CredentialReport::Page(
    const Principal& caller, int page_size, absl::string_view page_token) {
  if (!caller.is_admin) {
    return absl::PermissionDeniedError(
        "only admins and reader services may read the credential report");
  }
  absl::StatusOr<UserPage> users =
      users_.ListUsers(caller, page_size, page_token);
  if (!users.ok()) return users.status();

  CredentialReportPage page;
  page.generate_time = clock_.Now();
  page.next_page_token = std::move(users->next_page_token);
  for (const storage::UserRecord& user : users->users) {
    absl::StatusOr<std::vector<storage::AccessKeyRecord>> keys =
        store_.ListAccessKeys(user.user_id());
    if (!keys.ok()) return keys.status();
    CredentialReportRow row;
    row.user_name = user.user_name();
    row.user_id = user.user_id();
    row.user_create_time_micros = user.create_time_micros();
    row.password_change_time_micros = user.password_change_time_micros();
    row.mfa_active = user.mfa_confirmed();
    row.user_enabled = !user.disabled();
    if (keys->empty()) {
      page.rows.push_back(std::move(row));
      continue;
    }
    for (storage::AccessKeyRecord& key : *keys) {
      CredentialReportRow key_row = row;
      key.clear_sealed_secret();
      key_row.key_age =
          page.generate_time - absl::FromUnixMicros(key.create_time_micros());
      key_row.usable = IsUsable(key, row.user_enabled, page.generate_time);
      key_row.rotation_due =
          IsRotationDue(key, age_policy_, page.generate_time);
      key_row.key = std::move(key);
      page.rows.push_back(std::move(key_row));
    }
  }
  return page;
}

}  // namespace identity::auth
