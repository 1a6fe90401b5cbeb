#include "auth/audit_event.h"

#include <string>

namespace identity::auth {

storage::AuditEventRecord AuditEvent(AuditType type, const Principal& actor,
                                     const Clock& clock,
                                     absl::string_view user_id,
                                     absl::string_view user_name) {
  storage::AuditEventRecord event;
  event.set_time_micros(absl::ToUnixMicros(clock.Now()));
  event.set_type(type);
  event.set_actor_user_id(actor.user_id);
  event.set_actor_user_name(actor.user_name);
  event.set_client_address(actor.client_address);
  event.set_user_id(std::string(user_id));
  event.set_user_name(std::string(user_name));
  return event;
}

storage::AuditEvents AuditEvents(AuditType type, const Principal& actor,
                                 const Clock& clock, absl::string_view user_id,
                                 absl::string_view user_name,
                                 absl::string_view access_key_id,
                                 absl::string_view detail) {
  storage::AuditEventRecord event =
      AuditEvent(type, actor, clock, user_id, user_name);
  event.set_access_key_id(std::string(access_key_id));
  event.set_detail(std::string(detail));
  return {std::move(event)};
}

}  // namespace identity::auth
