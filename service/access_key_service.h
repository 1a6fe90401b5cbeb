#ifndef IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_
#define IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_

#include "auth/access_key_manager.h"
#include "auth/authenticator.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// identity.v1.AccessKeyService on the callback API. UpdateAccessKey and
// DeleteAccessKey answer UNIMPLEMENTED until the key-lifecycle work lands.
class AccessKeyServiceImpl final
    : public v1::AccessKeyService::CallbackService {
 public:
  AccessKeyServiceImpl(CallRunner& runner,
                       const auth::Authenticator& authenticator,
                       auth::AccessKeyManager& keys)
      : runner_(runner), authenticator_(authenticator), keys_(keys) {}

  grpc::ServerUnaryReactor* CreateAccessKey(
      grpc::CallbackServerContext* context,
      const v1::CreateAccessKeyRequest* request,
      v1::CreateAccessKeyResponse* response) override;

  grpc::ServerUnaryReactor* ListAccessKeys(
      grpc::CallbackServerContext* context,
      const v1::ListAccessKeysRequest* request,
      v1::ListAccessKeysResponse* response) override;

 private:
  CallRunner& runner_;
  const auth::Authenticator& authenticator_;
  auth::AccessKeyManager& keys_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_
