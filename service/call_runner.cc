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

void FinishCall(grpc::CallbackServerContext* context,
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

// The common name and DNS SANs of a client certificate the TLS handshake
// verified against --tls_client_ca; empty for plaintext or no certificate.
std::vector<std::string> CertificateSubjects(
    const grpc::CallbackServerContext& context) {
  std::vector<std::string> subjects;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return subjects;
  for (const char* property :
       {GRPC_X509_CN_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      subjects.emplace_back(value.data(), value.size());
    }
  }
  return subjects;
}

absl::Status Busy() {
  return absl::ResourceExhaustedError(
      "server busy: too many calls queued; retry with backoff");
}

}  // namespace

// One call on its way through the pools.
struct CallRunner::Call {
  grpc::CallbackServerContext* context;
  grpc::ServerUnaryReactor* reactor;
  absl::string_view method;
  absl::Time start;
  auth::Credentials credentials;
  Work work;

  ~Call() {
    if (credentials.password.has_value()) {
      crypto::Cleanse(credentials.password->password);
    }
  }
};

void CallRunner::Finish(const Call& call, const absl::Status& status) {
  FinishCall(call.context, call.reactor, logger_, call.method, call.start,
             status);
}

absl::Status CallRunner::StillWanted(
    const grpc::CallbackServerContext& context) {
  if (context.IsCancelled()) {
    return absl::CancelledError("call cancelled before it was served");
  }
  if (context.deadline() < std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError(
        "deadline passed before the call was served");
  }
  return absl::OkStatus();
}

void CallRunner::SubmitHandler(std::shared_ptr<Call> call,
                               auth::Principal caller) {
  // `call` is copied into the task, so it outlives a refused submission.
  const bool accepted =
      session_pool_.TrySubmit([this, call, caller = std::move(caller)] {
        absl::Status status = StillWanted(*call->context);
        if (status.ok()) status = call->work(caller);
        Finish(*call, status);
      });
  if (!accepted) Finish(*call, Busy());
}

grpc::ServerUnaryReactor* CallRunner::Run(grpc::CallbackServerContext* context,
                                          absl::string_view method,
                                          Access access,
                                          auth::SecondFactor second_factor,
                                          absl::Status decoded, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  if (!decoded.ok()) {
    FinishCall(context, reactor, logger_, method, start, decoded);
    return reactor;
  }
  absl::StatusOr<auth::Credentials> credentials =
      ParseCredentials(context->client_metadata());
  if (!credentials.ok()) {
    FinishCall(context, reactor, logger_, method, start, credentials.status());
    return reactor;
  }
  credentials->client_address = ClientAddress(context->peer());
  credentials->certificate_subjects = CertificateSubjects(*context);
  auto call =
      std::make_shared<Call>(Call{context, reactor, method, start,
                                  *std::move(credentials), std::move(work)});

  if (!call->credentials.password.has_value()) {
    if (access == Access::kReadOnly) {
      // No Argon2 and no write: a few reads, served right here.
      absl::StatusOr<auth::Principal> caller =
          authenticator_.Authenticate(call->credentials, second_factor);
      Finish(*call, caller.ok() ? call->work(*caller) : caller.status());
      return reactor;
    }
    const bool accepted = session_pool_.TrySubmit([this, second_factor, call] {
      absl::Status status = StillWanted(*call->context);
      if (status.ok()) {
        absl::StatusOr<auth::Principal> caller =
            authenticator_.Authenticate(call->credentials, second_factor);
        status = caller.ok() ? call->work(*caller) : caller.status();
      }
      Finish(*call, status);
    });
    if (accepted) {
      ++calls_accepted_;
    } else {
      Finish(*call, Busy());
    }
    return reactor;
  }

  const bool accepted =
      password_pool_.TrySubmit([this, second_factor, call]() mutable {
        absl::Status status = StillWanted(*call->context);
        if (!status.ok()) {
          Finish(*call, status);
          return;
        }
        absl::StatusOr<auth::Principal> caller =
            authenticator_.Authenticate(call->credentials, second_factor);
        crypto::Cleanse(call->credentials.password->password);
        if (!caller.ok()) {
          Finish(*call, caller.status());
          return;
        }
        SubmitHandler(std::move(call), *std::move(caller));
      });
  if (accepted) {
    ++calls_accepted_;
  } else {
    Finish(*call, Busy());
  }
  return reactor;
}

}  // namespace identity::service
