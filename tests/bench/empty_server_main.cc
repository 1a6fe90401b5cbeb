// identity_bench_server: the floor E of the benchmarks. Serves
// identity.v1.AccessKeyService/ListAccessKeys and
// identity.v1.SignatureService/VerifySignature with empty handlers that
// finish at once, built the way identityd builds its server (callback API,
// raw methods, the same receive limit, health and reflection on). The
// second is the floor for the same request bytes as a replayed
// VerifySignature: what gRPC alone costs to carry them. Prints "port <n>"
// on stdout once serving; stops on SIGTERM/SIGINT.
//
//   identity_bench_server [LISTEN] [--relay]
//
// --relay: behind identityd's front door (service/connection_relay.h, its
// default limits) as identityd serves, gRPC on no port of its own: the
// floor plus what the relay costs, so that a run can tell the two apart.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "identity/v1/access_key_service.grpc.pb.h"
#include "identity/v1/signature_service.grpc.pb.h"
#include "service/connection_relay.h"
#include "service/grpc_handoff.h"
#include "service/logger.h"
#include "service/server_process.h"

namespace {

class EmptyAccessKeyService final
    : public identity::v1::AccessKeyService::
          WithRawCallbackMethod_ListAccessKeys<
              identity::v1::AccessKeyService::Service> {
 public:
  grpc::ServerUnaryReactor* ListAccessKeys(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer*,
      grpc::ByteBuffer* response) override {
    // An empty ListAccessKeysResponse, framed as identityd frames replies.
    grpc::Slice empty{std::string()};
    *response = grpc::ByteBuffer(&empty, 1);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class EmptySignatureService final
    : public identity::v1::SignatureService::
          WithRawCallbackMethod_VerifySignature<
              identity::v1::SignatureService::Service> {
 public:
  grpc::ServerUnaryReactor* VerifySignature(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer*,
      grpc::ByteBuffer* response) override {
    // A fixed verdict, {valid: true}, so the load generator's check of the
    // verdict passes as it does against identityd.
    grpc::Slice valid{std::string("\x08\x01", 2)};
    *response = grpc::ByteBuffer(&valid, 1);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  // As identityd: the floor runs under the same process settings.
  identity::service::ConfigureServerProcess();
  const std::string listen = argc > 1 ? argv[1] : "127.0.0.1:0";
  const bool relayed = argc > 2 && std::strcmp(argv[2], "--relay") == 0;
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  EmptyAccessKeyService service;
  EmptySignatureService signatures;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor;
  if (relayed) {
    acceptor = builder.experimental().AddExternalConnectionAcceptor(
        grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
        grpc::InsecureServerCredentials());
  } else {
    builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  }
  builder.SetMaxReceiveMessageSize(64 * 1024);
  builder.RegisterService(&service);
  builder.RegisterService(&signatures);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  identity::service::Logger logger(stderr,
                                   identity::service::LogLevel::kWarning);
  std::unique_ptr<identity::service::ConnectionRelay> relay;
  if (server != nullptr && relayed) {
    identity::service::ConnectionRelayOptions options;
    options.listen_address = listen;
    options.hand_to_backend = identity::service::HandToGrpc(acceptor);
    absl::StatusOr<std::unique_ptr<identity::service::ConnectionRelay>>
        started = identity::service::ConnectionRelay::Start(options, logger);
    if (started.ok()) {
      relay = *std::move(started);
      port = relay->port();
    }
  }
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::printf("port %d\n", port);
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (relay != nullptr) relay->Stop();
  server->Shutdown();
  return 0;
}
