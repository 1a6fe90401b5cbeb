#ifndef IDENTITY_SERVICE_SESSION_SERVICE_H_
#define IDENTITY_SERVICE_SESSION_SERVICE_H_

#include "auth/session_manager.h"
#include "auth/verification_codes.h"
#include "identity/v1/session_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// Raw callback methods (see access_key_service.h).
using SessionServiceBase = v1::SessionService::WithRawCallbackMethod_Login<
    v1::SessionService::WithRawCallbackMethod_Logout<
        v1::SessionService::WithRawCallbackMethod_SendVerificationCode<
            v1::SessionService::Service>>>;

// identity.v1.SessionService.
class SessionServiceImpl final : public SessionServiceBase {
 public:
  SessionServiceImpl(CallRunner& runner, auth::SessionManager& sessions,
                     auth::VerificationCodes& codes)
      : runner_(runner), sessions_(sessions), codes_(codes) {}

  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SendVerificationCode(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  CallRunner& runner_;
  auth::SessionManager& sessions_;
  auth::VerificationCodes& codes_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_SESSION_SERVICE_H_
