#include "service/identityctl/command.h"

#include "service/identityctl/call_failure.h"

namespace identity::identityctl {

int CommandContext::Invoke(
    Proof proof,
    const std::function<grpc::Status(grpc::ClientContext&)>& call) {
  grpc::ClientContext context;
  if (absl::Status s = authorizer.Authorize(context, proof); !s.ok()) {
    return Fail(s);
  }
  const grpc::Status status = call(context);
  if (status.ok()) return kExitOk;
  const Explanation explanation =
      ExplainCallFailure(status, RequestIdOf(context), server);
  err << "identityctl: " << explanation.message << "\n";
  return explanation.exit_code;
}

int CommandContext::Fail(const absl::Status& status) {
  const Explanation explanation = ExplainLocalFailure(status);
  err << "identityctl: " << explanation.message << "\n";
  return explanation.exit_code;
}

}  // namespace identity::identityctl
