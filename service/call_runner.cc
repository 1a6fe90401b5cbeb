#include "service/call_runner.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/crypto.h"
#include "service/credentials_parser.h"
#include "service/status_mapping.h"

namespace identity::service {
namespace {

// "ipv4:10.0.0.7:51234" or "ipv6:[::1]:51234" -> "10.0.0.7" or "::1".
std::string ClientAddress(absl::string_view peer) {
  const size_t scheme = peer.find(':');
  if (scheme == absl::string_view::npos) return std::string(peer);
  absl::string_view host_port = peer.substr(scheme + 1);
  const size_t port = host_port.rfind(':');
  absl::string_view host =
      port == absl::string_view::npos ? host_port : host_port.substr(0, port);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

void Finish(grpc::CallbackServerContext* context,
            grpc::ServerUnaryReactor* reactor, Logger& logger,
            absl::string_view method, absl::Time start,
            const absl::Status& status) {
  if (absl::IsInternal(status) || absl::IsDataLoss(status) ||
      absl::IsUnknown(status)) {
    // The client gets a bare "internal error"; operators get the detail.
    logger.Error("rpc_internal_error",
                 {{"method", std::string(method)},
                  {"detail", std::string(status.message())}});
  }
  logger.Info(
      "rpc", {{"method", std::string(method)},
              {"peer", context->peer()},
              {"code", absl::StatusCodeToString(status.code())},
              {"latency_ms",
               absl::StrCat(absl::ToDoubleMilliseconds(absl::Now() - start))}});
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace

grpc::ServerUnaryReactor* CallRunner::Run(grpc::CallbackServerContext* context,
                                          absl::string_view method,
                                          absl::Status decoded, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  if (!decoded.ok()) {
    Finish(context, reactor, logger_, method, start, decoded);
    return reactor;
  }
  absl::StatusOr<auth::Credentials> credentials =
      ParseCredentials(context->client_metadata());
  if (!credentials.ok()) {
    Finish(context, reactor, logger_, method, start, credentials.status());
    return reactor;
  }
  credentials->client_address = ClientAddress(context->peer());
  Logger& logger = logger_;
  const bool accepted =
      pool_.TrySubmit([context, reactor, &logger, method, start,
                       credentials = *std::move(credentials),
                       work = std::move(work)]() mutable {
        absl::Status status;
        if (context->IsCancelled()) {
          status = absl::CancelledError("call cancelled before it was served");
        } else if (context->deadline() < std::chrono::system_clock::now()) {
          status = absl::DeadlineExceededError(
              "deadline passed before the call was served");
        } else {
          status = work(credentials);
        }
        if (credentials.password.has_value()) {
          crypto::Cleanse(credentials.password->password);
        }
        Finish(context, reactor, logger, method, start, status);
      });
  if (accepted) {
    ++calls_accepted_;
  } else {
    Finish(context, reactor, logger_, method, start,
           absl::ResourceExhaustedError(
               "server busy: too many calls queued; retry with backoff"));
  }
  return reactor;
}

}  // namespace identity::service
