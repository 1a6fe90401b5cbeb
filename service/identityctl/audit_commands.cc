// audit list.
#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "identity/v1/audit_service.grpc.pb.h"
#include "service/identityctl/command.h"
#include "service/identityctl/output_format.h"
#include "service/identityctl/text_table.h"

namespace identity::identityctl {
namespace {

// "ACCESS_KEY_CREATED" -> "access_key_created".
std::string TypeName(v1::AuditEvent::Type type) {
  std::string name = v1::AuditEvent::Type_Name(type);
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  return name;
}

// Sets `*out` (created only when the flag is given: an empty Timestamp
// message would still count as a time) from an RFC 3339 flag.
absl::Status SetTime(
    const Invocation& flags, const char* flag,
    google::protobuf::Timestamp* (v1::ListAuditEventsRequest::*field)(),
    v1::ListAuditEventsRequest& request) {
  std::optional<std::string> text = flags.value(flag);
  if (!text.has_value()) return absl::OkStatus();
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, *text, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " must be an RFC 3339 time like 2026-12-01T00:00:00Z"));
  }
  (request.*field)()->set_seconds(absl::ToUnixSeconds(time));
  return absl::OkStatus();
}

int ListEvents(CommandContext& context) {
  const Invocation& flags = context.invocation;
  v1::ListAuditEventsRequest request;
  request.set_user_name(flags.value_or("user-name", ""));
  if (absl::Status s =
          SetTime(flags, "since",
                  &v1::ListAuditEventsRequest::mutable_start_time, request);
      !s.ok()) {
    return context.Fail(s);
  }
  if (absl::Status s =
          SetTime(flags, "until", &v1::ListAuditEventsRequest::mutable_end_time,
                  request);
      !s.ok()) {
    return context.Fail(s);
  }
  int limit = 100;
  if (auto text = flags.value("limit");
      text.has_value() && (!absl::SimpleAtoi(*text, &limit) || limit <= 0)) {
    return context.Fail(
        absl::InvalidArgumentError("--limit must be a positive number"));
  }
  auto audit = v1::AuditService::NewStub(context.channel);
  v1::ListAuditEventsResponse all;
  request.set_page_size(std::min(limit, 100));
  const int code =
      ListAllPages<v1::ListAuditEventsRequest, v1::ListAuditEventsResponse>(
          context, request,
          [&](grpc::ClientContext& call, const v1::ListAuditEventsRequest& page,
              v1::ListAuditEventsResponse* response) {
            return audit->ListAuditEvents(&call, page, response);
          },
          [&](v1::ListAuditEventsResponse& page) {
            for (v1::AuditEvent& event : *page.mutable_events()) {
              if (all.events_size() < limit) {
                *all.add_events() = std::move(event);
              }
            }
            request.set_page_size(std::min(limit - all.events_size(), 100));
            return all.events_size() < limit;
          });
  if (code != kExitOk) return code;
  if (flags.has("json")) {
    context.out << ToJson(all);
    return kExitOk;
  }
  TextTable table(
      {"TIME", "EVENT", "ACTOR", "USER", "ACCESS KEY", "FROM", "DETAIL"});
  for (const v1::AuditEvent& event : all.events()) {
    table.AddRow({FormatTime(event.time()), TypeName(event.type()),
                  event.actor_user_name(), event.user_name(),
                  event.access_key_id(), event.client_address(),
                  event.detail()});
  }
  context.out << table.Render();
  return kExitOk;
}

}  // namespace

std::vector<Command> AuditCommands() {
  return {
      {"audit list",
       "",
       "Recent audit events, newest first (admins)",
       {{"user-name", true, "only events by or about this user"},
        {"since", true, "RFC 3339 time"},
        {"until", true, "RFC 3339 time"},
        {"limit", true, "at most this many events (default 100)"},
        {"json", false, "print JSON"}},
       0,
       0,
       ListEvents},
  };
}

}  // namespace identity::identityctl
