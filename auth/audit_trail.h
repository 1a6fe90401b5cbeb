#ifndef IDENTITY_AUTH_AUDIT_TRAIL_H_
#define IDENTITY_AUTH_AUDIT_TRAIL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/principal.h"
#include "storage/store.h"

namespace identity::auth {

struct AuditPage {
  std::vector<storage::AuditEventRecord> events;  // newest first
  std::string next_page_token;                    // empty on the last page
};

// Reading the audit trail: admins only. (Events are written by the code
// that makes each change, in the same store transaction.) Thread-safe.
class AuditTrail {
 public:
  explicit AuditTrail(storage::Store& store) : store_(store) {}

  // Events where `user_name` (empty: anyone) acted or was acted on, in
  // [start, end), newest first, a page at a time.
  absl::StatusOr<AuditPage> List(const Principal& caller,
                                 absl::string_view user_name, absl::Time start,
                                 absl::Time end, int page_size,
                                 absl::string_view page_token);

 private:
  storage::Store& store_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_AUDIT_TRAIL_H_
