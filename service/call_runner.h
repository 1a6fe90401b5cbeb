#ifndef IDENTITY_SERVICE_CALL_RUNNER_H_
#define IDENTITY_SERVICE_CALL_RUNNER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "auth/authenticator.h"
#include "auth/principal.h"
#include "service/logger.h"
#include "service/message_codec.h"
#include "service/metrics.h"
#include "service/worker_pool.h"

namespace identity::service {

// Whether a method writes to the store. Only read-only methods may run on
// the reaction thread. kVerifySignature is read-only, and the only access
// a verifier service (auth::Principal::verifier) is given. kBulkRead is
// read-only too (readers may call it) but reads too much (a page of up to
// a thousand users and their keys) for the reaction thread: it runs on the
// session pool.
enum class Access { kReadOnly, kWrites, kVerifySignature, kBulkRead };

// What a handler adds to its call's access-log line (never a secret).
struct AccessLogNote {
  std::string access_key_id;
  std::string result;
};

// Serves unary calls the way every handler here must: decode the request
// and parse the caller's credentials on the reaction thread (cheap); check
// the credentials and run the handler where they cannot hold up anyone
// else; finish the reactor with the mapped status; write one access-log
// line.
//
// Where the work runs:
// - A password check (Argon2, tens of milliseconds of CPU) runs on the
//   password pool, whose threads run at a lower CPU priority, and only the
//   check: the handler (a synced write, say) then moves to the session pool,
//   so no Argon2 thread waits on fsync.
// - Calls with a session token run on the session pool; were they in the
//   same FIFO as password checks, every cheap call would wait behind the
//   checks queued ahead of it, and a burst of CreateAccessKey would starve
//   ListAccessKeys.
// - A read-only call with a session token neither hashes nor writes: it
//   runs on the reaction thread itself, with no queue and no thread hop.
// A full pool answers RESOURCE_EXHAUSTED at once; a call already cancelled
// or past its deadline when its turn comes is not worked on. Thread-safe.
class CallRunner {
 public:
  template <typename Request, typename Response>
  using Handler = std::function<absl::Status(const auth::Principal& caller,
                                             const Request&, Response&)>;
  // A handler that also notes fields for the access-log line. It may take
  // the request's fields: the request is not used after it.
  template <typename Request, typename Response>
  using NotingHandler = std::function<absl::Status(
      const auth::Principal& caller, Request&, Response&, AccessLogNote&)>;

  // Who is at the other end of a call's connection.
  struct CallerConnection {
    // As gRPC spells peers: "ipv4:203.0.113.5:40000".
    std::string peer;
    // A verified client certificate's CN and DNS SANs (mTLS), else empty.
    std::vector<std::string> certificate_subjects;
  };
  // Maps gRPC's peer of a call to the client behind it (the connection
  // relay's lookup); nullopt refuses the call, as one that did not come
  // through the relay. Without a resolver gRPC's peer and TLS are the
  // client's.
  using PeerResolver = std::function<std::optional<CallerConnection>(
      absl::string_view grpc_peer)>;

  // `metrics` may be null (metrics off).
  CallRunner(WorkerPool& password_pool, WorkerPool& session_pool,
             const auth::Authenticator& authenticator, Logger& logger,
             ServerMetrics* metrics = nullptr,
             PeerResolver client_peer = nullptr);

  // With a remote store (etcd) reads leave the reaction thread as well.
  void set_reads_on_reaction_thread(bool local) {
    reads_on_reaction_thread_ = local;
  }

  // For a raw (ByteBuffer) callback method: `method` must outlive the call
  // (a string literal). `second_factor`: whether a password check on this
  // call also needs x-verification-code where the user has one bound:
  // every call but SendVerificationCode (how a code is obtained), so that a
  // stolen password alone does nothing where a channel is bound.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* RunUnary(
      grpc::CallbackServerContext* context, absl::string_view method,
      const grpc::ByteBuffer* raw_request, grpc::ByteBuffer* raw_response,
      Handler<Request, Response> handler, Access access = Access::kWrites,
      auth::SecondFactor second_factor =
          auth::SecondFactor::kRequiredWhereBound) {
    return RunNotingUnary<Request, Response>(
        context, method, raw_request, raw_response,
        [handler = std::move(handler)](const auth::Principal& caller,
                                       const Request& request,
                                       Response& response, AccessLogNote&) {
          return handler(caller, request, response);
        },
        access, second_factor, /*note=*/false);
  }

  // RunUnary for a handler that adds to the access-log line.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* RunNotingUnary(
      grpc::CallbackServerContext* context, absl::string_view method,
      const grpc::ByteBuffer* raw_request, grpc::ByteBuffer* raw_response,
      NotingHandler<Request, Response> handler, Access access,
      auth::SecondFactor second_factor =
          auth::SecondFactor::kRequiredWhereBound,
      bool note = true) {
    auto request = std::make_shared<Request>();
    absl::Status decoded = DecodeRequest(*raw_request, *request);
    auto log_note = note ? std::make_shared<AccessLogNote>() : nullptr;
    return Run(context, method, access, second_factor, std::move(decoded),
               log_note,
               [request, raw_response, access, log_note,
                handler = std::move(handler)](const auth::Principal& caller) {
                 if (caller.read_only && access == Access::kWrites) {
                   return absl::PermissionDeniedError(
                       "this service may only call read-only methods");
                 }
                 if (caller.verifier && access != Access::kVerifySignature) {
                   return absl::PermissionDeniedError(
                       "a verifier service may only call VerifySignature");
                 }
                 Response response;
                 AccessLogNote unused;
                 absl::Status status =
                     handler(caller, *request, response,
                             log_note != nullptr ? *log_note : unused);
                 if (status.ok()) EncodeResponse(response, *raw_response);
                 return status;
               });
  }

  // Calls handed to a worker pool so far (for tests and metrics).
  uint64_t calls_accepted() const { return calls_accepted_.load(); }

 private:
  using Work = std::function<absl::Status(const auth::Principal&)>;
  struct Call;

  // Finishes at once with `decoded` if it is an error; otherwise checks the
  // credentials and runs `work` where the rules above say.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                                absl::string_view method, Access access,
                                auth::SecondFactor second_factor,
                                absl::Status decoded,
                                std::shared_ptr<AccessLogNote> note, Work work);
  // On a pool thread: drops a call that is cancelled or past its deadline.
  static absl::Status StillWanted(const grpc::CallbackServerContext& context);
  // Checks a session or certificate (no password) and runs the handler.
  absl::Status AuthenticateAndWork(Call& call,
                                   auth::SecondFactor second_factor);
  // Runs the handler on the session pool, or finishes RESOURCE_EXHAUSTED.
  void SubmitHandler(std::shared_ptr<Call> call, auth::Principal caller);
  // Answers the call, logs it and counts it. `peer`: the client, as
  // resolved when the call started.
  void Finish(grpc::ServerUnaryReactor* reactor, absl::string_view method,
              absl::Time start, absl::string_view request_id,
              absl::string_view user, absl::string_view peer,
              const absl::Status& status, const AccessLogNote* note = nullptr);
  void Finish(const Call& call, const absl::Status& status);
  // The client behind the call's connection, through client_peer_.
  std::optional<CallerConnection> Caller(
      const grpc::CallbackServerContext& context) const;
  // The caller's x-request-id if it is a sane one, else a new id.
  std::string RequestId(const grpc::CallbackServerContext& context);

  WorkerPool& password_pool_;
  WorkerPool& session_pool_;
  const auth::Authenticator& authenticator_;
  Logger& logger_;
  ServerMetrics* const metrics_;
  const PeerResolver client_peer_;
  // Request ids: this process's random prefix and a counter, unique
  // without a random draw per call.
  const std::string request_id_prefix_;
  std::atomic<uint64_t> request_counter_{0};
  std::atomic<uint64_t> calls_accepted_{0};
  // False when a store read is a network round trip (etcd): then read-only
  // calls run on the session pool too, never on a reaction thread.
  bool reads_on_reaction_thread_ = true;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_CALL_RUNNER_H_
