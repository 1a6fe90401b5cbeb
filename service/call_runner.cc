#include "service/call_runner.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/crypto.h"
#include "auth/key_generator.h"
#include "auth/random_source.h"
#include "service/certificate_names.h"
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

bool IsSaneRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '_' && c != '.' && c != ':') {
      return false;
    }
  }
  return true;
}

std::string NewRequestIdPrefix() {
  absl::StatusOr<std::string> random =
      auth::RandomString(auth::SystemRandom(), auth::kAlphanumeric, 8);
  return random.ok() ? *random : "identity";
}

// The common name and DNS SANs of a client certificate the TLS handshake
// verified against --tls_client_ca; empty for plaintext or no certificate.
std::vector<std::string> CertificateSubjects(
    const grpc::CallbackServerContext& context) {
  std::vector<std::string> subjects;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return subjects;
  // From the certificate itself: gRPC's SAN property mixes DNS, URI, email
  // and IP names, and only the common name and DNS names may match.
  for (const grpc::string_ref& pem :
       auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
    return CommonNameAndDnsNames(absl::string_view(pem.data(), pem.size()));
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
  std::string request_id;
  auth::Credentials credentials;
  Work work;
  // Fields the handler adds to the access-log line; may be null.
  std::shared_ptr<AccessLogNote> note;
  // Who the credentials proved the caller to be, for the access log; set
  // by the thread that authenticates, read by the one that finishes (the
  // same thread, or one the task was handed to after it was set).
  std::string user;
  // The client's peer string for the access log, resolved once.
  std::string peer;

  ~Call() {
    if (credentials.password.has_value()) {
      crypto::Cleanse(credentials.password->password);
    }
  }
};

CallRunner::CallRunner(WorkerPool& password_pool, WorkerPool& session_pool,
                       const auth::Authenticator& authenticator, Logger& logger,
                       ServerMetrics* metrics, PeerResolver client_peer)
    : password_pool_(password_pool),
      session_pool_(session_pool),
      authenticator_(authenticator),
      logger_(logger),
      metrics_(metrics),
      client_peer_(std::move(client_peer)),
      request_id_prefix_(NewRequestIdPrefix()) {}

std::optional<CallRunner::CallerConnection> CallRunner::Caller(
    const grpc::CallbackServerContext& context) const {
  if (client_peer_ != nullptr) return client_peer_(context.peer());
  return CallerConnection{context.peer(), CertificateSubjects(context)};
}

std::string CallRunner::RequestId(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("x-request-id");
  if (it != metadata.end()) {
    absl::string_view id(it->second.data(), it->second.size());
    if (IsSaneRequestId(id)) return std::string(id);
  }
  return absl::StrCat(request_id_prefix_, "-",
                      absl::Hex(++request_counter_, absl::kZeroPad8));
}

void CallRunner::Finish(grpc::ServerUnaryReactor* reactor,
                        absl::string_view method, absl::Time start,
                        absl::string_view request_id, absl::string_view user,
                        absl::string_view peer, const absl::Status& status,
                        const AccessLogNote* note) {
  const absl::Duration latency = absl::Now() - start;
  if (IsStorageFault(status)) {
    logger_.Warning("storage_fault", {{"method", method},
                                      {"request_id", request_id},
                                      {"detail", status.message()}});
  } else if (absl::IsInternal(status) || absl::IsDataLoss(status) ||
             absl::IsUnknown(status)) {
    // The client gets a bare "internal error"; operators get the detail.
    logger_.Error("rpc_internal_error", {{"method", method},
                                         {"request_id", request_id},
                                         {"detail", status.message()}});
  }
  if (logger_.Enabled(LogLevel::kInfo)) {
    // The fields are views: the line is built from them during the call,
    // with no string copied on the way.
    char latency_ms[32];
    const int latency_size =
        absl::SNPrintF(latency_ms, sizeof(latency_ms), "%g",
                       absl::ToDoubleMilliseconds(latency));
    const absl::string_view latency_field(
        latency_ms,
        std::min<size_t>(std::max(latency_size, 0), sizeof(latency_ms) - 1));
    const std::string code = absl::StatusCodeToString(status.code());
    if (note != nullptr) {
      logger_.Info("rpc", {{"method", method},
                           {"request_id", request_id},
                           {"peer", peer},
                           {"user", user},
                           {"code", code},
                           {"access_key_id", note->access_key_id},
                           {"result", note->result},
                           {"latency_ms", latency_field}});
    } else {
      logger_.Info("rpc", {{"method", method},
                           {"request_id", request_id},
                           {"peer", peer},
                           {"user", user},
                           {"code", code},
                           {"latency_ms", latency_field}});
    }
  }
  if (metrics_ != nullptr) metrics_->RecordCall(method, status.code(), latency);
  reactor->Finish(ToGrpcStatus(status));
}

void CallRunner::Finish(const Call& call, const absl::Status& status) {
  Finish(call.reactor, call.method, call.start, call.request_id, call.user,
         call.peer, status, call.note.get());
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

absl::Status CallRunner::AuthenticateAndWork(Call& call,
                                             auth::SecondFactor second_factor) {
  absl::StatusOr<auth::Principal> caller =
      authenticator_.Authenticate(call.credentials, second_factor);
  if (!caller.ok()) return caller.status();
  call.user = caller->user_name;
  return call.work(*caller);
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

grpc::ServerUnaryReactor* CallRunner::Run(
    grpc::CallbackServerContext* context, absl::string_view method,
    Access access, auth::SecondFactor second_factor, absl::Status decoded,
    std::shared_ptr<AccessLogNote> note, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  std::string request_id = RequestId(*context);
  // Sent back so a client can quote it when asking about a call.
  context->AddInitialMetadata("x-request-id", request_id);
  // Taken now, while the connection is surely still the relay's; resolved
  // once, for the credentials and the log line.
  std::optional<CallerConnection> caller = Caller(*context);
  std::string peer = caller.has_value() ? caller->peer : context->peer();
  if (!decoded.ok()) {
    Finish(reactor, method, start, request_id, "", peer, decoded, note.get());
    return reactor;
  }
  absl::StatusOr<auth::Credentials> credentials =
      ParseCredentials(context->client_metadata());
  if (!credentials.ok()) {
    Finish(reactor, method, start, request_id, "", peer, credentials.status(),
           note.get());
    return reactor;
  }
  if (!caller.has_value()) {
    // A connection the relay does not hold: gRPC listens on no port, so
    // this is a second line only. It would pass by TLS, the client
    // certificate check and the HTTP/2 limits.
    Finish(reactor, method, start, request_id, "", peer,
           absl::PermissionDeniedError(
               "connect through identityd's listening address (--listen)"),
           note.get());
    return reactor;
  }
  credentials->client_address = ClientAddress(caller->peer);
  credentials->certificate_subjects = std::move(caller->certificate_subjects);
  auto call = std::make_shared<Call>(
      Call{context, reactor, method, start, std::move(request_id),
           *std::move(credentials), std::move(work), std::move(note), "",
           std::move(peer)});

  if (!call->credentials.password.has_value()) {
    const bool few_reads =
        access == Access::kReadOnly || access == Access::kVerifySignature;
    if (few_reads && reads_on_reaction_thread_) {
      // No Argon2 and no write: a few local reads, served right here.
      Finish(*call, AuthenticateAndWork(*call, second_factor));
      return reactor;
    }
    const bool accepted = session_pool_.TrySubmit([this, second_factor, call] {
      absl::Status status = StillWanted(*call->context);
      if (status.ok()) status = AuthenticateAndWork(*call, second_factor);
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
        call->user = caller->user_name;
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
