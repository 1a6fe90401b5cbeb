#include "service/user_service.h"

#include "absl/cleanup/cleanup.h"
#include "auth/crypto.h"
#include "service/proto_mapping.h"

namespace identity::service {

grpc::ServerUnaryReactor* UserServiceImpl::CreateUser(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::CreateUserRequest, v1::CreateUserResponse>(
      context, "CreateUser", request, response,
      [this](const auth::Credentials& credentials,
             const v1::CreateUserRequest& request,
             v1::CreateUserResponse& response) {
        absl::StatusOr<auth::Principal> caller =
            authenticator_.Authenticate(credentials);
        if (!caller.ok()) return caller.status();
        auth::NewUser user;
        absl::Cleanup wipe_password = [&user] {
          crypto::Cleanse(user.password);
        };
        user.user_name = request.user_name();
        user.password = request.password();
        user.display_name = request.display_name();
        user.role = FromApi(request.role());
        user.email = request.email();
        user.mobile = request.mobile();
        absl::StatusOr<storage::UserRecord> created =
            users_.CreateUser(*caller, user);
        if (!created.ok()) return created.status();
        ToApi(*created, response.mutable_user());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::GetUser(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::GetUserRequest, v1::GetUserResponse>(
      context, "GetUser", request, response,
      [this](const auth::Credentials& credentials,
             const v1::GetUserRequest& request, v1::GetUserResponse& response) {
        absl::StatusOr<auth::Principal> caller =
            authenticator_.Authenticate(credentials);
        if (!caller.ok()) return caller.status();
        absl::StatusOr<storage::UserRecord> user =
            users_.GetUser(*caller, request.user_name());
        if (!user.ok()) return user.status();
        ToApi(*user, response.mutable_user());
        return absl::OkStatus();
      });
}

}  // namespace identity::service
