#include "service/access_key_service.h"

#include <optional>
#include <string>

#include "auth/crypto.h"
#include "service/proto_mapping.h"

namespace identity::service {

grpc::ServerUnaryReactor* AccessKeyServiceImpl::CreateAccessKey(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::CreateAccessKeyRequest, v1::CreateAccessKeyResponse>(
          context, "CreateAccessKey", request, response,
          [this](const auth::Principal& caller,
                 const v1::CreateAccessKeyRequest& request,
                 v1::CreateAccessKeyResponse& response) {
            absl::StatusOr<auth::CreatedAccessKey> created =
                keys_.CreateAccessKey(caller, request.user_name(),
                                      request.description());
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
            absl::StatusOr<auth::OwnedAccessKey> updated =
                keys_.UpdateAccessKey(caller, request.access_key_id(), status,
                                      description);
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

}  // namespace identity::service
