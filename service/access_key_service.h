#ifndef IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_
#define IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_

#include "auth/access_key_manager.h"
#include "auth/authenticator.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// Served methods are raw (ByteBuffer) callback methods so that CallRunner
// decodes requests itself (see message_codec.h); the rest keep gRPC's
// callback default, UNIMPLEMENTED, until the key-lifecycle work lands.
using AccessKeyServiceBase =
    v1::AccessKeyService::WithRawCallbackMethod_CreateAccessKey<
        v1::AccessKeyService::WithRawCallbackMethod_ListAccessKeys<
            v1::AccessKeyService::WithCallbackMethod_UpdateAccessKey<
                v1::AccessKeyService::WithCallbackMethod_DeleteAccessKey<
                    v1::AccessKeyService::Service>>>>;

// identity.v1.AccessKeyService.
class AccessKeyServiceImpl final : public AccessKeyServiceBase {
 public:
  AccessKeyServiceImpl(CallRunner& runner,
                       const auth::Authenticator& authenticator,
                       auth::AccessKeyManager& keys)
      : runner_(runner), authenticator_(authenticator), keys_(keys) {}

  grpc::ServerUnaryReactor* CreateAccessKey(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* ListAccessKeys(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;

 private:
  CallRunner& runner_;
  const auth::Authenticator& authenticator_;
  auth::AccessKeyManager& keys_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_
