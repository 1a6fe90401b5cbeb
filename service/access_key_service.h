#ifndef IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_
#define IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_

#include "auth/access_key_manager.h"
#include "auth/credential_report.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// Raw (ByteBuffer) callback methods, so that CallRunner decodes requests
// itself (see message_codec.h).
using AccessKeyServiceBase =
    v1::AccessKeyService::WithRawCallbackMethod_CreateAccessKey<
        v1::AccessKeyService::WithRawCallbackMethod_ListAccessKeys<
            v1::AccessKeyService::WithRawCallbackMethod_UpdateAccessKey<
                v1::AccessKeyService::WithRawCallbackMethod_DeleteAccessKey<
                    v1::AccessKeyService::
                        WithRawCallbackMethod_GetCredentialReport<
                            v1::AccessKeyService::Service>>>>>;

// identity.v1.AccessKeyService.
class AccessKeyServiceImpl final : public AccessKeyServiceBase {
 public:
  AccessKeyServiceImpl(CallRunner& runner, auth::AccessKeyManager& keys,
                       auth::CredentialReport& report)
      : runner_(runner), keys_(keys), report_(report) {}

  grpc::ServerUnaryReactor* CreateAccessKey(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListAccessKeys(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UpdateAccessKey(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteAccessKey(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetCredentialReport(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  CallRunner& runner_;
  auth::AccessKeyManager& keys_;
  auth::CredentialReport& report_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_ACCESS_KEY_SERVICE_H_
