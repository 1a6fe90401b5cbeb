#include "service/user_service.h"

#include "service/proto_mapping.h"

namespace identity::service {

grpc::ServerUnaryReactor* UserServiceImpl::CreateUser(
    grpc::CallbackServerContext* context, const v1::CreateUserRequest* request,
    v1::CreateUserResponse* response) {
  return runner_.Run(
      context, "CreateUser",
      [this, request, response](const auth::Credentials& credentials) {
        absl::StatusOr<auth::Principal> caller =
            authenticator_.Authenticate(credentials);
        if (!caller.ok()) return caller.status();
        auth::NewUser user;
        user.user_name = request->user_name();
        user.password = request->password();
        user.display_name = request->display_name();
        user.role = FromApi(request->role());
        user.email = request->email();
        user.mobile = request->mobile();
        absl::StatusOr<storage::UserRecord> created =
            users_.CreateUser(*caller, user);
        if (!created.ok()) return created.status();
        ToApi(*created, response->mutable_user());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::GetUser(
    grpc::CallbackServerContext* context, const v1::GetUserRequest* request,
    v1::GetUserResponse* response) {
  return runner_.Run(
      context, "GetUser",
      [this, request, response](const auth::Credentials& credentials) {
        absl::StatusOr<auth::Principal> caller =
            authenticator_.Authenticate(credentials);
        if (!caller.ok()) return caller.status();
        absl::StatusOr<storage::UserRecord> user =
            users_.GetUser(*caller, request->user_name());
        if (!user.ok()) return user.status();
        ToApi(*user, response->mutable_user());
        return absl::OkStatus();
      });
}

}  // namespace identity::service
