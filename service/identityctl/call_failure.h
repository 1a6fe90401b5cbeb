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

// A failed call. `request_id` (may be empty) is the id identityd echoed,
// so a report can quote it; `server` is where the call went and `over_tls`
// whether the channel speaks TLS, so that a connection failure can say
// which flag to look at.
Explanation ExplainCallFailure(const grpc::Status& status,
                               const std::string& request_id,
                               const std::string& server,
                               bool over_tls = false);

// The x-request-id identityd sent back on a call that has completed (a
// blocking call that returned); empty if none.
std::string RequestIdOf(const grpc::ClientContext& completed);

// A failure before any call (a flag, a file): code from the status.
Explanation ExplainLocalFailure(const absl::Status& status);

// google.rpc.ErrorInfo.reason of a failed call; empty if none.
std::string ErrorReason(const grpc::Status& status);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_CALL_FAILURE_H_
