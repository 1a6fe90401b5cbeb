#include "auth/audit_trail.h"

#include "absl/strings/ascii.h"
#include "auth/paging.h"
#include "auth/validation.h"

namespace identity::auth {
namespace {

// Event ids are 32 lowercase hex digits (see the store).
bool IsEventId(absl::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<AuditPage> AuditTrail::List(const Principal& caller,
                                           absl::string_view user_name,
                                           absl::Time start, absl::Time end,
                                           int page_size,
                                           absl::string_view page_token) {
  if (!caller.is_admin) {
    return absl::PermissionDeniedError(
        "only an admin may read the audit trail");
  }
  if (!user_name.empty()) {
    if (absl::Status s = ValidateUserName("user_name", user_name); !s.ok()) {
      return s;
    }
  }
  if (end <= start) {
    return absl::InvalidArgumentError("end_time: must be after start_time");
  }
  absl::StatusOr<PageRequest> request =
      ParsePageRequest(page_size, page_token, IsEventId);
  if (!request.ok()) return request.status();
  storage::AuditQuery query;
  query.user_name = std::string(user_name);
  query.start_micros = absl::ToUnixMicros(start);
  query.end_micros = absl::ToUnixMicros(end);
  query.before_event_id = request->after_key;
  query.limit = request->limit;
  absl::StatusOr<std::vector<storage::AuditEventRecord>> events =
      store_.ListAuditEvents(query);
  if (!events.ok()) return events.status();
  AuditPage page;
  page.next_page_token =
      NextPageToken(*request, static_cast<int>(events->size()),
                    events->empty() ? "" : events->back().event_id());
  page.events = *std::move(events);
  return page;
}

}  // namespace identity::auth
