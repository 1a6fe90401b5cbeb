#ifndef IDENTITY_SERVICE_CALL_RUNNER_H_
#define IDENTITY_SERVICE_CALL_RUNNER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "auth/authenticator.h"
#include "auth/principal.h"
#include "service/logger.h"
#include "service/message_codec.h"
#include "service/worker_pool.h"

namespace identity::service {

// Serves unary calls the way every handler here must: decode the request
// and parse the caller's credentials on the reaction thread (cheap);
// authenticate the caller and run the handler on the worker pool (Argon2 and
// synced writes are slow); finish the reactor with the mapped status; write
// one access-log line.
// A full pool answers RESOURCE_EXHAUSTED at once; a call already cancelled
// or past its deadline when its turn comes is not worked on. Thread-safe.
class CallRunner {
 public:
  template <typename Request, typename Response>
  using Handler = std::function<absl::Status(const auth::Principal& caller,
                                             const Request&, Response&)>;

  CallRunner(WorkerPool& pool, const auth::Authenticator& authenticator,
             Logger& logger)
      : pool_(pool), authenticator_(authenticator), logger_(logger) {}

  // For a raw (ByteBuffer) callback method: `method` must outlive the call
  // (a string literal). `second_factor`: whether a password check on this
  // call also needs x-verification-code where the user has one bound.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* RunUnary(
      grpc::CallbackServerContext* context, absl::string_view method,
      const grpc::ByteBuffer* raw_request, grpc::ByteBuffer* raw_response,
      Handler<Request, Response> handler,
      auth::SecondFactor second_factor = auth::SecondFactor::kNotRequired) {
    auto request = std::make_shared<Request>();
    absl::Status decoded = DecodeRequest(*raw_request, *request);
    return Run(
        context, method, std::move(decoded),
        [this, request, raw_response, second_factor,
         handler = std::move(handler)](const auth::Credentials& credentials) {
          absl::StatusOr<auth::Principal> caller =
              authenticator_.Authenticate(credentials, second_factor);
          if (!caller.ok()) return caller.status();
          Response response;
          absl::Status status = handler(*caller, *request, response);
          if (status.ok()) EncodeResponse(response, *raw_response);
          return status;
        });
  }

  // Calls handed to the worker pool so far (for tests and metrics).
  uint64_t calls_accepted() const { return calls_accepted_.load(); }

 private:
  using Work = std::function<absl::Status(const auth::Credentials&)>;

  // Finishes at once with `decoded` if it is an error; otherwise queues
  // `work`.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                                absl::string_view method, absl::Status decoded,
                                Work work);

  WorkerPool& pool_;
  const auth::Authenticator& authenticator_;
  Logger& logger_;
  std::atomic<uint64_t> calls_accepted_{0};
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_CALL_RUNNER_H_
