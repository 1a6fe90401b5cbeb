#ifndef IDENTITY_SERVICE_USER_SERVICE_H_
#define IDENTITY_SERVICE_USER_SERVICE_H_

#include "auth/authenticator.h"
#include "auth/user_manager.h"
#include "identity/v1/user_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// Served methods are raw callback methods (see access_key_service.h); the
// rest answer UNIMPLEMENTED until user management lands.
using UserServiceBase = v1::UserService::WithRawCallbackMethod_CreateUser<
    v1::UserService::WithRawCallbackMethod_GetUser<
        v1::UserService::WithCallbackMethod_ListUsers<
            v1::UserService::WithCallbackMethod_UpdateUser<
                v1::UserService::WithCallbackMethod_DeleteUser<
                    v1::UserService::WithCallbackMethod_SetPassword<
                        v1::UserService::Service>>>>>>;

// identity.v1.UserService.
class UserServiceImpl final : public UserServiceBase {
 public:
  UserServiceImpl(CallRunner& runner, const auth::Authenticator& authenticator,
                  auth::UserManager& users)
      : runner_(runner), authenticator_(authenticator), users_(users) {}

  grpc::ServerUnaryReactor* CreateUser(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;

 private:
  CallRunner& runner_;
  const auth::Authenticator& authenticator_;
  auth::UserManager& users_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_USER_SERVICE_H_
