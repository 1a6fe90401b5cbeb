#include "service/access_key_service.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "auth/crypto.h"
#include "service/proto_mapping.h"

namespace identity::service {
namespace {

// The range google.protobuf.Timestamp documents: years 1 to 9999.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

// The request's expire_time and expire_after, checked for range; the auth
// layer checks the rest.
absl::StatusOr<auth::RequestedExpiry> RequestedExpiryOf(
    const v1::CreateAccessKeyRequest& request) {
  auth::RequestedExpiry expiry;
  if (request.has_expire_time()) {
    const google::protobuf::Timestamp& time = request.expire_time();
    if (time.seconds() < kMinTimestampSeconds ||
        time.seconds() > kMaxTimestampSeconds || time.nanos() < 0 ||
        time.nanos() >= 1000000000) {
      return absl::InvalidArgumentError(
          "expire_time: not a valid google.protobuf.Timestamp");
    }
    expiry.at = FromApi(time, true, absl::InfinitePast());
  }
  if (request.has_expire_after()) {
    absl::StatusOr<absl::Duration> after =
        FromApi(request.expire_after(), "expire_after");
    if (!after.ok()) return after.status();
    expiry.after = *after;
  }
  return expiry;
}

void ToApi(const auth::CredentialReportRow& row, absl::Time generate_time,
           v1::CredentialReportRow* out) {
  out->set_user_name(row.user_name);
  out->set_user_id(row.user_id);
  SetTimestamp(row.user_create_time_micros, out->mutable_user_create_time());
  if (row.password_change_time_micros != 0) {
    SetTimestamp(row.password_change_time_micros,
                 out->mutable_password_last_changed());
  }
  out->set_mfa_active(row.mfa_active);
  out->set_user_enabled(row.user_enabled);
  if (!row.key.has_value()) return;
  const storage::AccessKeyRecord& key = *row.key;
  out->set_access_key_id(key.access_key_id());
  out->set_status(key.status() == storage::AccessKeyRecord::INACTIVE
                      ? v1::AccessKey::INACTIVE
                      : v1::AccessKey::ACTIVE);
  SetTimestamp(key.create_time_micros(), out->mutable_key_create_time());
  SetDuration(generate_time - absl::FromUnixMicros(key.create_time_micros()),
              out->mutable_key_age());
  if (key.last_used_time_micros() != 0) {
    SetTimestamp(key.last_used_time_micros(), out->mutable_last_used_time());
    out->set_last_used_service(key.last_used_service());
    out->set_last_used_region(key.last_used_region());
  }
  if (key.expire_time_micros() != 0) {
    SetTimestamp(key.expire_time_micros(), out->mutable_expire_time());
  }
  out->set_usable(row.usable);
  out->set_rotation_due(row.rotation_due);
}

}  // namespace

grpc::ServerUnaryReactor* AccessKeyServiceImpl::CreateAccessKey(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::CreateAccessKeyRequest, v1::CreateAccessKeyResponse>(
          context, "CreateAccessKey", request, response,
          [this](const auth::Principal& caller,
                 const v1::CreateAccessKeyRequest& request,
                 v1::CreateAccessKeyResponse& response) {
            absl::StatusOr<auth::RequestedExpiry> expiry =
                RequestedExpiryOf(request);
            if (!expiry.ok()) return expiry.status();
            absl::StatusOr<auth::CreatedAccessKey> created =
                keys_.CreateAccessKey(caller, request.user_name(),
                                      request.description(), *expiry);
            if (!created.ok()) return created.status();
            ToApi(created->key, response.mutable_access_key());
            response.set_secret_access_key(created->secret_access_key);
            crypto::Cleanse(created->secret_access_key);
            return absl::OkStatus();
          },
          Access::kWrites, auth::SecondFactor::kRequiredWhereBound);
}

grpc::ServerUnaryReactor* AccessKeyServiceImpl::ListAccessKeys(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::ListAccessKeysRequest, v1::ListAccessKeysResponse>(
          context, "ListAccessKeys", request, response,
          [this](const auth::Principal& caller,
                 const v1::ListAccessKeysRequest& request,
                 v1::ListAccessKeysResponse& response) {
            if (request.all_users()) {
              if (!request.user_name().empty()) {
                return absl::InvalidArgumentError(
                    "user_name: must be empty with all_users");
              }
              absl::StatusOr<auth::AccessKeyPage> page =
                  keys_.ListAllAccessKeys(caller, request.page_size(),
                                          request.page_token());
              if (!page.ok()) return page.status();
              for (const auth::OwnedAccessKey& key : page->keys) {
                ToApi(key, response.add_access_keys());
              }
              response.set_next_page_token(page->next_page_token);
              return absl::OkStatus();
            }
            absl::StatusOr<std::vector<auth::OwnedAccessKey>> keys =
                keys_.ListAccessKeys(caller, request.user_name());
            if (!keys.ok()) return keys.status();
            for (const auth::OwnedAccessKey& key : *keys) {
              ToApi(key, response.add_access_keys());
            }
            return absl::OkStatus();
          },
          Access::kReadOnly);
}

grpc::ServerUnaryReactor* AccessKeyServiceImpl::UpdateAccessKey(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::UpdateAccessKeyRequest, v1::UpdateAccessKeyResponse>(
          context, "UpdateAccessKey", request, response,
          [this](const auth::Principal& caller,
                 const v1::UpdateAccessKeyRequest& request,
                 v1::UpdateAccessKeyResponse& response) {
            std::optional<storage::AccessKeyRecord::Status> status;
            if (request.has_status()) status = FromApi(request.status());
            std::optional<std::string> description;
            if (request.has_description()) description = request.description();
            std::optional<absl::Duration> deactivate_after;
            if (request.has_deactivate_after()) {
              absl::StatusOr<absl::Duration> after =
                  FromApi(request.deactivate_after(), "deactivate_after");
              if (!after.ok()) return after.status();
              deactivate_after = *after;
            }
            absl::StatusOr<auth::OwnedAccessKey> updated =
                keys_.UpdateAccessKey(caller, request.access_key_id(), status,
                                      description, deactivate_after);
            if (!updated.ok()) return updated.status();
            ToApi(*updated, response.mutable_access_key());
            return absl::OkStatus();
          });
}

grpc::ServerUnaryReactor* AccessKeyServiceImpl::DeleteAccessKey(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::DeleteAccessKeyRequest, v1::DeleteAccessKeyResponse>(
          context, "DeleteAccessKey", request, response,
          [this](const auth::Principal& caller,
                 const v1::DeleteAccessKeyRequest& request,
                 v1::DeleteAccessKeyResponse&) {
            return keys_.DeleteAccessKey(caller, request.access_key_id());
          });
}

grpc::ServerUnaryReactor* AccessKeyServiceImpl::GetCredentialReport(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::GetCredentialReportRequest,
                          v1::GetCredentialReportResponse>(
      context, "GetCredentialReport", request, response,
      [this](const auth::Principal& caller,
             const v1::GetCredentialReportRequest& request,
             v1::GetCredentialReportResponse& response) {
        absl::StatusOr<auth::CredentialReportPage> page =
            report_.Page(caller, request.page_size(), request.page_token());
        if (!page.ok()) return page.status();
        for (const auth::CredentialReportRow& row : page->rows) {
          ToApi(row, page->generate_time, response.add_rows());
        }
        response.set_next_page_token(page->next_page_token);
        SetTimestamp(absl::ToUnixMicros(page->generate_time),
                     response.mutable_generate_time());
        return absl::OkStatus();
      },
      Access::kBulkRead);
}

}  // namespace identity::service
