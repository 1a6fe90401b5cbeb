#include "service/identityctl/command.h"

#include "service/identityctl/call_failure.h"
#include "service/identityctl/password_input.h"
#include "service/identityctl/second_factor_prompt.h"

namespace identity::identityctl {

int CommandContext::Invoke(
    Proof proof,
    const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  // At most twice: once as asked, once more with a code typed at a prompt.
  // A wrong code counts toward the lockout, so it is never asked again.
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    if (absl::Status s = authorizer.Authorize(context, proof); !s.ok()) {
      return Fail(s);
    }
    const grpc::Status status = call(context);
    if (status.ok()) return kExitOk;
    if (attempt == 1 && ErrorReason(status) == "VERIFICATION_CODE_REQUIRED" &&
        authorizer.options().verification_code.empty() && HasTerminal()) {
      if (std::optional<std::string> code = AskForVerificationCode(*this)) {
        authorizer.set_verification_code(*std::move(code));
        continue;
      }
    }
    const Explanation explanation =
        ExplainCallFailure(status, RequestIdOf(context), server, over_tls);
    err << "identityctl: " << explanation.message << "\n";
    return explanation.exit_code;
  }
}

int CommandContext::Fail(const absl::Status& status) {
  const Explanation explanation = ExplainLocalFailure(status);
  err << "identityctl: " << explanation.message << "\n";
  return explanation.exit_code;
}

}  // namespace identity::identityctl
