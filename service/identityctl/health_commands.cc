// health: the standard gRPC health check, for probes and scripts.
#include "grpc/health/v1/health.grpc.pb.h"
#include "service/identityctl/call_failure.h"
#include "service/identityctl/command.h"

namespace identity::identityctl {
namespace {

// Asks without credentials (the health service needs none), so a probe
// holds no password; over TLS and mTLS like every other command.
int Health(CommandContext& context) {
  grpc::health::v1::HealthCheckRequest request;
  if (!context.invocation.args().empty()) {
    request.set_service(context.invocation.args()[0]);
  }
  auto health = grpc::health::v1::Health::NewStub(context.channel);
  grpc::ClientContext call;
  call.set_deadline(
      absl::ToChronoTime(absl::Now() + context.authorizer.options().timeout));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = health->Check(&call, request, &response);
  if (!status.ok()) {
    const Explanation explanation = ExplainCallFailure(
        status, RequestIdOf(call), context.server, context.over_tls);
    context.err << "identityctl: " << explanation.message << "\n";
    return explanation.exit_code;
  }
  context.out << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                     response.status())
              << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? kExitOk
             : kExitFailure;
}

}  // namespace

std::vector<Command> HealthCommands() {
  return {{"health",
           "[SERVICE]",
           "Is identityd serving? (exit 0 if SERVING; for probes)",
           {},
           0,
           1,
           Health}};
}

}  // namespace identity::identityctl
