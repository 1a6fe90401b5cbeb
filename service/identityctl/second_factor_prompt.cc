#include "service/identityctl/second_factor_prompt.h"

#include "absl/strings/ascii.h"
#include "identity/v1/session_service.grpc.pb.h"
#include "service/identityctl/call_failure.h"
#include "service/identityctl/output_format.h"
#include "service/identityctl/password_input.h"

namespace identity::identityctl {
namespace {

// Sends a code to the first bound channel, email before mobile, and says
// where it went. Without either bound (an MFA app only) it says so.
void SendToBoundChannel(CommandContext& context) {
  auto sessions = v1::SessionService::NewStub(context.channel);
  for (const auto channel : {v1::SendVerificationCodeRequest::EMAIL,
                             v1::SendVerificationCodeRequest::SMS}) {
    grpc::ClientContext call;
    if (absl::Status s =
            context.authorizer.Authorize(call, Proof::kSessionOrPassword);
        !s.ok()) {
      context.Fail(s);
      return;
    }
    v1::SendVerificationCodeRequest request;
    request.set_channel(channel);
    v1::SendVerificationCodeResponse response;
    const grpc::Status status =
        sessions->SendVerificationCode(&call, request, &response);
    if (status.ok()) {
      context.err << "Sent a code to " << response.masked_destination()
                  << "; valid until " << FormatTime(response.expire_time())
                  << ", once.\n";
      return;
    }
    // FAILED_PRECONDITION: that channel is not bound; try the next.
    if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
      // Busy (one code a minute) is worth saying, then asking anyway: a
      // code sent earlier and not yet used still works.
      context.err << "identityctl: no code sent: "
                  << ExplainCallFailure(status, RequestIdOf(call),
                                        context.server, context.over_tls)
                         .message
                  << "\n";
      return;
    }
  }
  context.err << "identityctl: no email or mobile is bound to this account; "
                 "use a code from your MFA app.\n";
}

}  // namespace

std::optional<std::string> AskForVerificationCode(CommandContext& context) {
  absl::StatusOr<std::string> answer = AskAtTerminal(
      "This account needs a verification code. Send one to your email or "
      "mobile now? [Y/n] ",
      /*echo=*/true);
  if (!answer.ok()) return std::nullopt;
  const std::string choice =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(*answer));
  if (choice.empty() || choice == "y" || choice == "yes") {
    SendToBoundChannel(context);
  }
  // Not echoed: a code is a credential while it lasts.
  absl::StatusOr<std::string> code =
      AskAtTerminal("Verification code: ", /*echo=*/false);
  if (!code.ok()) return std::nullopt;
  std::string digits(absl::StripAsciiWhitespace(*code));
  WipeSecret(*code);
  if (digits.empty()) return std::nullopt;
  return digits;
}

}  // namespace identity::identityctl
