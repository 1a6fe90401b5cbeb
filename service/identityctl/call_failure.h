#ifndef IDENTITY_SERVICE_IDENTITYCTL_CALL_FAILURE_H_
#define IDENTITY_SERVICE_IDENTITYCTL_CALL_FAILURE_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "service/identityctl/exit_codes.h"

namespace identity::identityctl {

// A failure said the way a person at a terminal needs it: what happened,
// what to do next, and the exit code a script can test.
struct Explanation {
  ExitCode exit_code;
  std::string message;
};

// A failed call. `context` supplies the request id identityd echoed, so a
// report can quote it; `server` is where the call went.
Explanation ExplainCallFailure(const grpc::Status& status,
                               const grpc::ClientContext& context,
                               const std::string& server);

// A failure before any call (a flag, a file): code from the status.
Explanation ExplainLocalFailure(const absl::Status& status);

// google.rpc.ErrorInfo.reason of a failed call; empty if none.
std::string ErrorReason(const grpc::Status& status);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_CALL_FAILURE_H_
