#ifndef IDENTITY_SERVICE_KEY_ENCRYPTION_KEY_SERVICE_H_
#define IDENTITY_SERVICE_KEY_ENCRYPTION_KEY_SERVICE_H_

#include "auth/secret_rewrap_job.h"
#include "identity/v1/key_encryption_key_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// Raw callback methods (see access_key_service.h).
using KeyEncryptionKeyServiceBase =
    v1::KeyEncryptionKeyService::WithRawCallbackMethod_RewrapSecrets<
        v1::KeyEncryptionKeyService::
            WithRawCallbackMethod_GetKeyEncryptionKeyStatus<
                v1::KeyEncryptionKeyService::Service>>;

// identity.v1.KeyEncryptionKeyService: starts re-sealing runs on the job's
// own thread and reports them; neither call waits for a run.
class KeyEncryptionKeyServiceImpl final : public KeyEncryptionKeyServiceBase {
 public:
  KeyEncryptionKeyServiceImpl(CallRunner& runner, auth::SecretRewrapJob& job)
      : runner_(runner), job_(job) {}

  grpc::ServerUnaryReactor* RewrapSecrets(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetKeyEncryptionKeyStatus(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  CallRunner& runner_;
  auth::SecretRewrapJob& job_;
};

// The API form of a run.
void ToApi(const auth::SecretRewrapRun& run, v1::RewrapRun* out);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_KEY_ENCRYPTION_KEY_SERVICE_H_
