#include "service/access_key_service.h"

#include "auth/crypto.h"
#include "service/proto_mapping.h"

namespace identity::service {

grpc::ServerUnaryReactor* AccessKeyServiceImpl::CreateAccessKey(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::CreateAccessKeyRequest, v1::CreateAccessKeyResponse>(
          context, "CreateAccessKey", request, response,
          [this](const auth::Credentials& credentials,
                 const v1::CreateAccessKeyRequest& request,
                 v1::CreateAccessKeyResponse& response) {
            // Creating a key re-checks the password, as the console does: a
            // stolen session token alone must not mint long-lived credentials.
            if (!credentials.password.has_value()) {
              return absl::UnauthenticatedError(
                  "CreateAccessKey requires the password: send 'authorization: "
                  "Basic base64(user_name:password)'");
            }
            absl::StatusOr<auth::Principal> caller =
                authenticator_.Authenticate(credentials);
            if (!caller.ok()) return caller.status();
            absl::StatusOr<auth::CreatedAccessKey> created =
                keys_.CreateAccessKey(*caller, request.user_name(),
                                      request.description());
            if (!created.ok()) return created.status();
            ToApi(created->key, response.mutable_access_key());
            response.set_secret_access_key(created->secret_access_key);
            crypto::Cleanse(created->secret_access_key);
            return absl::OkStatus();
          });
}

grpc::ServerUnaryReactor* AccessKeyServiceImpl::ListAccessKeys(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::ListAccessKeysRequest, v1::ListAccessKeysResponse>(
          context, "ListAccessKeys", request, response,
          [this](const auth::Credentials& credentials,
                 const v1::ListAccessKeysRequest& request,
                 v1::ListAccessKeysResponse& response) {
            absl::StatusOr<auth::Principal> caller =
                authenticator_.Authenticate(credentials);
            if (!caller.ok()) return caller.status();
            absl::StatusOr<std::vector<auth::OwnedAccessKey>> keys =
                keys_.ListAccessKeys(*caller, request.user_name());
            if (!keys.ok()) return keys.status();
            for (const auth::OwnedAccessKey& key : *keys) {
              ToApi(key, response.add_access_keys());
            }
            return absl::OkStatus();
          });
}

}  // namespace identity::service
