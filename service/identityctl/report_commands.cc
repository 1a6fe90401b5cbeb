// report: the credential report (GetCredentialReport), as a table or as
// CSV (RFC 4180) for spreadsheets and scripts.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "service/identityctl/command.h"
#include "service/identityctl/output_format.h"
#include "service/identityctl/text_table.h"

namespace identity::identityctl {
namespace {

constexpr char kNotApplicable[] = "N/A";

const std::vector<std::string>& CsvHeader() {
  static const auto* header =
      new std::vector<std::string>{"user",
                                   "user_id",
                                   "user_creation_time",
                                   "password_last_changed",
                                   "mfa_active",
                                   "user_enabled",
                                   "access_key_id",
                                   "access_key_status",
                                   "access_key_created",
                                   "access_key_age_days",
                                   "access_key_last_used_time",
                                   "access_key_last_used_service",
                                   "access_key_last_used_region",
                                   "access_key_expires",
                                   "access_key_usable",
                                   "access_key_rotation_due"};
  return *header;
}

std::string Bool(bool value) { return value ? "true" : "false"; }

std::string Status(v1::AccessKey::Status status) {
  return status == v1::AccessKey::INACTIVE ? "Inactive" : "Active";
}

// The row's fields in CsvHeader() order, unescaped.
std::vector<std::string> Fields(const v1::CredentialReportRow& row) {
  std::vector<std::string> fields = {
      row.user_name(),
      row.user_id(),
      FormatTime(row.user_create_time(), kNotApplicable),
      FormatTime(row.password_last_changed(), kNotApplicable),
      Bool(row.mfa_active()),
      Bool(row.user_enabled())};
  if (row.access_key_id().empty()) {
    fields.resize(CsvHeader().size(), kNotApplicable);
    return fields;
  }
  const bool used = row.has_last_used_time();
  fields.insert(fields.end(),
                {row.access_key_id(), Status(row.status()),
                 FormatTime(row.key_create_time(), kNotApplicable),
                 absl::StrCat(row.key_age().seconds() / 86400),
                 FormatTime(row.last_used_time(), kNotApplicable),
                 used ? row.last_used_service() : kNotApplicable,
                 used ? row.last_used_region() : kNotApplicable,
                 FormatTime(row.expire_time(), "never"), Bool(row.usable()),
                 Bool(row.rotation_due())});
  return fields;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::vector<std::string> escaped;
  escaped.reserve(fields.size());
  for (const std::string& field : fields) escaped.push_back(CsvField(field));
  // RFC 4180 ends records with CRLF.
  return absl::StrCat(absl::StrJoin(escaped, ","), "\r\n");
}

int Report(CommandContext& context) {
  const bool csv = context.invocation.has("csv");
  auto keys = v1::AccessKeyService::NewStub(context.channel);
  v1::GetCredentialReportRequest request;
  request.set_page_size(500);
  TextTable table({"USER", "MFA", "PASSWORD CHANGED", "ACCESS KEY ID", "STATUS",
                   "AGE (DAYS)", "LAST USED", "EXPIRES", "USABLE"});
  if (csv) context.out << CsvLine(CsvHeader());
  // CSV is written a page at a time, so a report of a million users never
  // sits in memory; the table needs every row for its widths.
  const int code = ListAllPages<v1::GetCredentialReportRequest,
                                v1::GetCredentialReportResponse>(
      context, request,
      [&](grpc::ClientContext& call, const v1::GetCredentialReportRequest& page,
          v1::GetCredentialReportResponse* response) {
        return keys->GetCredentialReport(&call, page, response);
      },
      [&](v1::GetCredentialReportResponse& page) {
        for (const v1::CredentialReportRow& row : page.rows()) {
          std::vector<std::string> fields = Fields(row);
          if (csv) {
            context.out << CsvLine(fields);
            continue;
          }
          const bool has_key = !row.access_key_id().empty();
          table.AddRow({fields[0], row.mfa_active() ? "yes" : "no", fields[3],
                        has_key ? fields[6] : "-", has_key ? fields[7] : "-",
                        has_key ? fields[9] : "-", has_key ? fields[10] : "-",
                        has_key ? fields[13] : "-",
                        !has_key             ? "-"
                        : row.rotation_due() ? "yes (rotate)"
                        : row.usable()       ? "yes"
                                             : "no"});
        }
        return true;
      });
  if (code != kExitOk) return code;
  if (!csv) context.out << table.Render();
  context.out << std::flush;
  return kExitOk;
}

}  // namespace

std::vector<Command> ReportCommands() {
  return {
      {"report",
       "",
       "The credential report: every user and key, with ages, last use and "
       "expiry (admins, reader services)",
       {{"csv", false, "write CSV (RFC 4180, header row) instead of a table"}},
       0,
       0,
       Report},
  };
}

}  // namespace identity::identityctl
