#ifndef IDENTITY_SERVICE_SIGNATURE_SERVICE_H_
#define IDENTITY_SERVICE_SIGNATURE_SERVICE_H_

#include "auth/signature_verifier.h"
#include "identity/v1/signature_service.grpc.pb.h"
#include "service/call_runner.h"
#include "service/metrics.h"

namespace identity::service {

// Raw callback method (see access_key_service.h).
using SignatureServiceBase =
    v1::SignatureService::WithRawCallbackMethod_VerifySignature<
        v1::SignatureService::Service>;

// identity.v1.SignatureService: the request to the auth layer's verifier
// and its verdict back, one access-log line per call with the access key id
// and the result, and the verdict counted by version and result.
class SignatureServiceImpl final : public SignatureServiceBase {
 public:
  // `metrics` may be null.
  SignatureServiceImpl(CallRunner& runner,
                       const auth::SignatureVerifier& verifier,
                       ServerMetrics* metrics)
      : runner_(runner), verifier_(verifier), metrics_(metrics) {}

  grpc::ServerUnaryReactor* VerifySignature(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  CallRunner& runner_;
  const auth::SignatureVerifier& verifier_;
  ServerMetrics* const metrics_;
};

// The API's request as the auth layer's (taking its strings, not copying
// them), and a verdict as the API's.
auth::SignedRequest FromApi(v1::SignedHttpRequest&& request);
void ToApi(const auth::SignatureVerdict& verdict,
           v1::VerifySignatureResponse* out);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_SIGNATURE_SERVICE_H_
