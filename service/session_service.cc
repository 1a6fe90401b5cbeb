#include "service/session_service.h"

#include "absl/time/time.h"
#include "auth/crypto.h"
#include "service/proto_mapping.h"

namespace identity::service {

grpc::ServerUnaryReactor* SessionServiceImpl::Login(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::LoginRequest, v1::LoginResponse>(
      context, "Login", request, response,
      [this](const auth::Principal& caller, const v1::LoginRequest&,
             v1::LoginResponse& response) {
        if (!caller.password_verified) {
          return absl::UnauthenticatedError(
              "Login requires the password: send 'authorization: Basic "
              "base64(user_name:password)'");
        }
        absl::StatusOr<auth::IssuedSession> session = sessions_.Start(caller);
        if (!session.ok()) return session.status();
        response.set_session_token(session->token);
        crypto::Cleanse(session->token);
        const absl::Duration since_epoch =
            session->expire_time - absl::UnixEpoch();
        response.mutable_expire_time()->set_seconds(
            absl::ToInt64Seconds(since_epoch));
        return absl::OkStatus();
      },
      Access::kWrites, auth::SecondFactor::kRequiredWhereBound);
}

grpc::ServerUnaryReactor* SessionServiceImpl::Logout(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::LogoutRequest, v1::LogoutResponse>(
      context, "Logout", request, response,
      [this](const auth::Principal& caller, const v1::LogoutRequest&,
             v1::LogoutResponse&) {
        if (caller.session_token_hash.empty()) {
          return absl::InvalidArgumentError(
              "Logout ends the session it is called with: send "
              "'authorization: Bearer <token>'");
        }
        return sessions_.End(caller.session_token_hash);
      });
}

grpc::ServerUnaryReactor* SessionServiceImpl::SendVerificationCode(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::SendVerificationCodeRequest,
                          v1::SendVerificationCodeResponse>(
      context, "SendVerificationCode", request, response,
      [this](const auth::Principal& caller,
             const v1::SendVerificationCodeRequest& request,
             v1::SendVerificationCodeResponse& response) {
        storage::VerificationCodeRecord::Channel channel;
        switch (request.channel()) {
          case v1::SendVerificationCodeRequest::EMAIL:
            channel = storage::VerificationCodeRecord::EMAIL;
            break;
          case v1::SendVerificationCodeRequest::SMS:
            channel = storage::VerificationCodeRecord::SMS;
            break;
          default:
            return absl::InvalidArgumentError("channel: must be EMAIL or SMS");
        }
        absl::StatusOr<auth::SentVerificationCode> sent =
            codes_.Send(caller, channel);
        if (!sent.ok()) return sent.status();
        response.set_masked_destination(sent->masked_destination);
        SetTimestamp(absl::ToUnixMicros(sent->expire_time),
                     response.mutable_expire_time());
        return absl::OkStatus();
      },
      Access::kWrites, auth::SecondFactor::kNotRequired);
}

}  // namespace identity::service
