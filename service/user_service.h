#ifndef IDENTITY_SERVICE_USER_SERVICE_H_
#define IDENTITY_SERVICE_USER_SERVICE_H_

#include "auth/authenticator.h"
#include "auth/user_manager.h"
#include "identity/v1/user_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// identity.v1.UserService on the callback API. CreateUser and GetUser are
// served; the other methods answer UNIMPLEMENTED until user management lands.
class UserServiceImpl final : public v1::UserService::CallbackService {
 public:
  UserServiceImpl(CallRunner& runner, const auth::Authenticator& authenticator,
                  auth::UserManager& users)
      : runner_(runner), authenticator_(authenticator), users_(users) {}

  grpc::ServerUnaryReactor* CreateUser(
      grpc::CallbackServerContext* context,
      const v1::CreateUserRequest* request,
      v1::CreateUserResponse* response) override;

  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const v1::GetUserRequest* request,
                                    v1::GetUserResponse* response) override;

 private:
  CallRunner& runner_;
  const auth::Authenticator& authenticator_;
  auth::UserManager& users_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_USER_SERVICE_H_
