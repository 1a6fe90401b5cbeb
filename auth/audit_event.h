#ifndef IDENTITY_AUTH_AUDIT_EVENT_H_
#define IDENTITY_AUTH_AUDIT_EVENT_H_

#include "absl/strings/string_view.h"
#include "auth/clock.h"
#include "auth/principal.h"
#include "storage/records.pb.h"
#include "storage/store.h"

namespace identity::auth {

using AuditType = storage::AuditEventRecord::Type;

// An audit event of `type`, done now by `actor` from the address they
// called from, about `user` (a user id and name; either may be empty).
// Callers add what else the event is about (a key id, a detail) and hand
// it to the store with the change it records. Never put a secret in it.
storage::AuditEventRecord AuditEvent(AuditType type, const Principal& actor,
                                     const Clock& clock,
                                     absl::string_view user_id,
                                     absl::string_view user_name);

// The same, as the one-event list a store call takes.
storage::AuditEvents AuditEvents(AuditType type, const Principal& actor,
                                 const Clock& clock, absl::string_view user_id,
                                 absl::string_view user_name,
                                 absl::string_view access_key_id = "",
                                 absl::string_view detail = "");

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_AUDIT_EVENT_H_
