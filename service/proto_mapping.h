#ifndef IDENTITY_SERVICE_PROTO_MAPPING_H_
#define IDENTITY_SERVICE_PROTO_MAPPING_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/access_key_manager.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "identity/v1/access_key_service.pb.h"
#include "identity/v1/audit_service.pb.h"
#include "identity/v1/user_service.pb.h"
#include "storage/records.pb.h"

// Stored records to the public API. Nothing secret crosses: no password hash,
// no sealed secret.
namespace identity::service {

void ToApi(const auth::OwnedAccessKey& key, v1::AccessKey* out);
void ToApi(const storage::UserRecord& user, v1::User* out);
void ToApi(const storage::AuditEventRecord& event, v1::AuditEvent* out);

void SetTimestamp(int64_t unix_micros, google::protobuf::Timestamp* out);
// A request's optional timestamp; `absent` when it is not set.
absl::Time FromApi(const google::protobuf::Timestamp& time, bool present,
                   absl::Time absent);

void SetDuration(absl::Duration duration, google::protobuf::Duration* out);
// InvalidArgument (naming `field`) for a duration out of the documented
// range or with mismatched signs.
absl::StatusOr<absl::Duration> FromApi(const google::protobuf::Duration& d,
                                       absl::string_view field);

// Unknown values map to *_UNSPECIFIED, which the auth layer refuses.
storage::UserRecord::Role FromApi(v1::User::Role role);
storage::AccessKeyRecord::Status FromApi(v1::AccessKey::Status status);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_PROTO_MAPPING_H_
