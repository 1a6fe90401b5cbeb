#ifndef IDENTITY_SERVICE_USER_SERVICE_H_
#define IDENTITY_SERVICE_USER_SERVICE_H_

#include "auth/mfa_devices.h"
#include "auth/user_manager.h"
#include "identity/v1/user_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// Raw callback methods (see access_key_service.h).
using UserServiceBase = v1::UserService::WithRawCallbackMethod_CreateUser<
    v1::UserService::WithRawCallbackMethod_GetUser<
        v1::UserService::WithRawCallbackMethod_ListUsers<
            v1::UserService::WithRawCallbackMethod_UpdateUser<
                v1::UserService::WithRawCallbackMethod_DeleteUser<
                    v1::UserService::WithRawCallbackMethod_SetPassword<
                        v1::UserService::WithRawCallbackMethod_UnlockUser<
                            v1::UserService::WithRawCallbackMethod_EnrollMfaDevice<
                                v1::UserService::
                                    WithRawCallbackMethod_ConfirmMfaDevice<
                                        v1::UserService::
                                            WithRawCallbackMethod_DeleteMfaDevice<
                                                v1::UserService::
                                                    Service>>>>>>>>>>;

// identity.v1.UserService.
class UserServiceImpl final : public UserServiceBase {
 public:
  UserServiceImpl(CallRunner& runner, auth::UserManager& users,
                  auth::MfaDevices& mfa)
      : runner_(runner), users_(users), mfa_(mfa) {}

  grpc::ServerUnaryReactor* CreateUser(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListUsers(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UpdateUser(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteUser(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SetPassword(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UnlockUser(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* EnrollMfaDevice(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ConfirmMfaDevice(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteMfaDevice(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  CallRunner& runner_;
  auth::UserManager& users_;
  auth::MfaDevices& mfa_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_USER_SERVICE_H_
