#include "service/proto_mapping.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace identity::service {

void SetTimestamp(int64_t unix_micros, google::protobuf::Timestamp* out) {
  out->set_seconds(unix_micros / 1000000);
  out->set_nanos(static_cast<int32_t>(unix_micros % 1000000) * 1000);
}

void SetDuration(absl::Duration duration, google::protobuf::Duration* out) {
  const int64_t seconds =
      absl::IDivDuration(duration, absl::Seconds(1), &duration);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(duration)));
}

absl::StatusOr<absl::Duration> FromApi(const google::protobuf::Duration& d,
                                       absl::string_view field) {
  // The range google.protobuf.Duration documents (about 10,000 years).
  constexpr int64_t kMaxSeconds = 315576000000;
  if (d.seconds() < -kMaxSeconds || d.seconds() > kMaxSeconds ||
      d.nanos() <= -1000000000 || d.nanos() >= 1000000000 ||
      (d.seconds() > 0 && d.nanos() < 0) ||
      (d.seconds() < 0 && d.nanos() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid google.protobuf.Duration"));
  }
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

absl::Time FromApi(const google::protobuf::Timestamp& time, bool present,
                   absl::Time absent) {
  if (!present) return absent;
  return absl::FromUnixSeconds(time.seconds()) +
         absl::Nanoseconds(time.nanos());
}

void ToApi(const storage::AuditEventRecord& event, v1::AuditEvent* out) {
  out->set_event_id(event.event_id());
  SetTimestamp(event.time_micros(), out->mutable_time());
  // The two enums share their numbers; an unknown one stays unspecified.
  out->set_type(v1::AuditEvent::Type_IsValid(event.type())
                    ? static_cast<v1::AuditEvent::Type>(event.type())
                    : v1::AuditEvent::TYPE_UNSPECIFIED);
  out->set_actor_user_id(event.actor_user_id());
  out->set_actor_user_name(event.actor_user_name());
  out->set_user_id(event.user_id());
  out->set_user_name(event.user_name());
  out->set_access_key_id(event.access_key_id());
  out->set_client_address(event.client_address());
  out->set_detail(event.detail());
}

void ToApi(const auth::OwnedAccessKey& key, v1::AccessKey* out) {
  const storage::AccessKeyRecord& record = key.record;
  out->set_access_key_id(record.access_key_id());
  out->set_user_id(record.user_id());
  out->set_user_name(key.user_name);
  out->set_status(record.status() == storage::AccessKeyRecord::INACTIVE
                      ? v1::AccessKey::INACTIVE
                      : v1::AccessKey::ACTIVE);
  out->set_description(record.description());
  out->set_usable(key.usable);
  out->set_expired(key.expired);
  out->set_rotation_due(key.rotation_due);
  if (record.expire_time_micros() != 0) {
    SetTimestamp(record.expire_time_micros(), out->mutable_expire_time());
  }
  if (record.deactivate_time_micros() != 0) {
    SetTimestamp(record.deactivate_time_micros(),
                 out->mutable_deactivate_time());
  }
  SetTimestamp(record.create_time_micros(), out->mutable_create_time());
  if (record.last_used_time_micros() != 0) {
    SetTimestamp(record.last_used_time_micros(), out->mutable_last_used_time());
    out->set_last_used_service(record.last_used_service());
    out->set_last_used_region(record.last_used_region());
  }
}

void ToApi(const storage::UserRecord& user, v1::User* out) {
  out->set_user_id(user.user_id());
  out->set_user_name(user.user_name());
  out->set_display_name(user.display_name());
  out->set_role(user.role() == storage::UserRecord::ADMIN ? v1::User::ADMIN
                                                          : v1::User::USER);
  out->set_email(user.email());
  out->set_mobile(user.mobile());
  out->set_enabled(!user.disabled());
  out->set_mfa_enabled(user.mfa_confirmed());
  SetTimestamp(user.create_time_micros(), out->mutable_create_time());
}

storage::AccessKeyRecord::Status FromApi(v1::AccessKey::Status status) {
  switch (status) {
    case v1::AccessKey::ACTIVE:
      return storage::AccessKeyRecord::ACTIVE;
    case v1::AccessKey::INACTIVE:
      return storage::AccessKeyRecord::INACTIVE;
    default:  // unspecified, or a value this server does not know
      return storage::AccessKeyRecord::STATUS_UNSPECIFIED;
  }
}

storage::UserRecord::Role FromApi(v1::User::Role role) {
  switch (role) {
    case v1::User::ROLE_UNSPECIFIED:
    case v1::User::USER:
      return storage::UserRecord::USER;
    case v1::User::ADMIN:
      return storage::UserRecord::ADMIN;
    default:  // an enum value this server does not know
      return storage::UserRecord::ROLE_UNSPECIFIED;
  }
}

}  // namespace identity::service
