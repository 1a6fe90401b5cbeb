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
      [this](const auth::Principal& caller,
             const v1::CreateUserRequest& request,
             v1::CreateUserResponse& response) {
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
            users_.CreateUser(caller, user);
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
      [this](const auth::Principal& caller, const v1::GetUserRequest& request,
             v1::GetUserResponse& response) {
        absl::StatusOr<storage::UserRecord> user =
            users_.GetUser(caller, request.user_name());
        if (!user.ok()) return user.status();
        ToApi(*user, response.mutable_user());
        return absl::OkStatus();
      },
      Access::kReadOnly);
}

grpc::ServerUnaryReactor* UserServiceImpl::ListUsers(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::ListUsersRequest, v1::ListUsersResponse>(
      context, "ListUsers", request, response,
      [this](const auth::Principal& caller, const v1::ListUsersRequest& request,
             v1::ListUsersResponse& response) {
        absl::StatusOr<auth::UserPage> page =
            users_.ListUsers(caller, request.page_size(), request.page_token());
        if (!page.ok()) return page.status();
        for (const storage::UserRecord& user : page->users) {
          ToApi(user, response.add_users());
        }
        response.set_next_page_token(page->next_page_token);
        return absl::OkStatus();
      },
      Access::kReadOnly);
}

grpc::ServerUnaryReactor* UserServiceImpl::UpdateUser(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::UpdateUserRequest, v1::UpdateUserResponse>(
      context, "UpdateUser", request, response,
      [this](const auth::Principal& caller,
             const v1::UpdateUserRequest& request,
             v1::UpdateUserResponse& response) {
        auth::UserUpdate update;
        if (request.has_display_name()) {
          update.display_name = request.display_name();
        }
        if (request.has_email()) update.email = request.email();
        if (request.has_mobile()) update.mobile = request.mobile();
        if (request.has_enabled()) update.enabled = request.enabled();
        if (request.has_role()) {
          // Setting the role to UNSPECIFIED is a mistake, not "USER".
          update.role = request.role() == v1::User::ROLE_UNSPECIFIED
                            ? storage::UserRecord::ROLE_UNSPECIFIED
                            : FromApi(request.role());
        }
        absl::StatusOr<storage::UserRecord> updated =
            users_.UpdateUser(caller, request.user_name(), update);
        if (!updated.ok()) return updated.status();
        ToApi(*updated, response.mutable_user());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::DeleteUser(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::DeleteUserRequest, v1::DeleteUserResponse>(
      context, "DeleteUser", request, response,
      [this](const auth::Principal& caller,
             const v1::DeleteUserRequest& request, v1::DeleteUserResponse&) {
        return users_.DeleteUser(caller, request.user_name());
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::SetPassword(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::SetPasswordRequest, v1::SetPasswordResponse>(
      context, "SetPassword", request, response,
      [this](const auth::Principal& caller,
             const v1::SetPasswordRequest& request, v1::SetPasswordResponse&) {
        return users_.SetPassword(caller, request.user_name(),
                                  request.new_password());
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::UnlockUser(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::UnlockUserRequest, v1::UnlockUserResponse>(
      context, "UnlockUser", request, response,
      [this](const auth::Principal& caller,
             const v1::UnlockUserRequest& request, v1::UnlockUserResponse&) {
        return users_.UnlockUser(caller, request.user_name());
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::EnrollMfaDevice(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::EnrollMfaDeviceRequest, v1::EnrollMfaDeviceResponse>(
          context, "EnrollMfaDevice", request, response,
          [this](const auth::Principal& caller,
                 const v1::EnrollMfaDeviceRequest&,
                 v1::EnrollMfaDeviceResponse& response) {
            absl::StatusOr<std::string> uri = mfa_.Enroll(caller);
            if (!uri.ok()) return uri.status();
            response.set_otpauth_uri(*uri);
            crypto::Cleanse(*uri);
            return absl::OkStatus();
          },
          // A password thief must not bind a device of their own.
          Access::kWrites, auth::SecondFactor::kRequiredWhereBound);
}

grpc::ServerUnaryReactor* UserServiceImpl::ConfirmMfaDevice(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::ConfirmMfaDeviceRequest, v1::ConfirmMfaDeviceResponse>(
          context, "ConfirmMfaDevice", request, response,
          [this](const auth::Principal& caller,
                 const v1::ConfirmMfaDeviceRequest& request,
                 v1::ConfirmMfaDeviceResponse&) {
            return mfa_.Confirm(caller, request.first_code(),
                                request.second_code());
          });
}

grpc::ServerUnaryReactor* UserServiceImpl::DeleteMfaDevice(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::DeleteMfaDeviceRequest, v1::DeleteMfaDeviceResponse>(
          context, "DeleteMfaDevice", request, response,
          [this](const auth::Principal& caller,
                 const v1::DeleteMfaDeviceRequest& request,
                 v1::DeleteMfaDeviceResponse&) {
            return mfa_.Delete(caller, request.user_name());
          },
          Access::kWrites, auth::SecondFactor::kRequiredWhereBound);
}

}  // namespace identity::service
