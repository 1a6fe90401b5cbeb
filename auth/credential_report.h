#ifndef IDENTITY_AUTH_CREDENTIAL_REPORT_H_
#define IDENTITY_AUTH_CREDENTIAL_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/access_key_lifetime.h"
#include "auth/clock.h"
#include "auth/principal.h"
#include "auth/user_manager.h"
#include "storage/records.pb.h"
#include "storage/store.h"

namespace identity::auth {

// One user and one of their keys, as AWS's credential report has them; a
// user without keys has one row with no key.
struct CredentialReportRow {
  std::string user_name;
  std::string user_id;
  int64_t user_create_time_micros = 0;
  // 0 when unknown (a user stored before the time was recorded).
  int64_t password_change_time_micros = 0;
  bool mfa_active = false;
  bool user_enabled = true;
  // Without its sealed secret.
  std::optional<storage::AccessKeyRecord> key;
  // Of the key, at the report's time.
  absl::Duration key_age;
  bool usable = false;
  bool rotation_due = false;
};

struct CredentialReportPage {
  std::vector<CredentialReportRow> rows;
  // Empty on the last page.
  std::string next_page_token;
  absl::Time generate_time;
};

// Builds the credential report a page of users at a time, paged by user
// name (see paging.h), so a million users never sit in memory at once: a
// page holds at most kMaxPageSize users and their keys. For admins and
// reader services (which count as admins that cannot write); verifiers
// and plain users are refused. Thread-safe.
class CredentialReport {
 public:
  CredentialReport(storage::Store& store, UserManager& users,
                   const Clock& clock, KeyAgePolicy age_policy);

  absl::StatusOr<CredentialReportPage> Page(const Principal& caller,
                                            int page_size,
                                            absl::string_view page_token);

 private:
  storage::Store& store_;
  UserManager& users_;
  const Clock& clock_;
  const KeyAgePolicy age_policy_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_CREDENTIAL_REPORT_H_
