#ifndef IDENTITY_TESTS_TESTING_RESPONSE_RECORDER_H_
#define IDENTITY_TESTS_TESTING_RESPONSE_RECORDER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_interceptor.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"

namespace identity::testing {

// Keeps every response message a channel receives (method, wire bytes), so
// a test can scan all of them for secrets afterwards.
class ResponseRecorder {
 public:
  struct Response {
    std::string method;  // "/identity.v1.AccessKeyService/CreateAccessKey"
    std::string bytes;
  };

  // A client interceptor factory that records into this recorder, which
  // must outlive the channel.
  std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
  NewFactory() {
    return std::make_unique<Factory>(this);
  }

  std::vector<Response> responses() const {
    absl::MutexLock lock(&mu_);
    return responses_;
  }

 private:
  class Interceptor final : public grpc::experimental::Interceptor {
   public:
    Interceptor(ResponseRecorder* recorder, std::string method)
        : recorder_(recorder), method_(std::move(method)) {}
    void Intercept(
        grpc::experimental::InterceptorBatchMethods* methods) override {
      if (methods->QueryInterceptionHookPoint(
              grpc::experimental::InterceptionHookPoints::POST_RECV_MESSAGE)) {
        // Our stubs and the health/reflection stubs receive protobufs.
        const auto* message = static_cast<const google::protobuf::Message*>(
            methods->GetRecvMessage());
        if (message != nullptr) {
          absl::MutexLock lock(&recorder_->mu_);
          recorder_->responses_.push_back(
              {method_, message->SerializeAsString()});
        }
      }
      methods->Proceed();
    }

   private:
    ResponseRecorder* const recorder_;
    const std::string method_;
  };

  class Factory final
      : public grpc::experimental::ClientInterceptorFactoryInterface {
   public:
    explicit Factory(ResponseRecorder* recorder) : recorder_(recorder) {}
    grpc::experimental::Interceptor* CreateClientInterceptor(
        grpc::experimental::ClientRpcInfo* info) override {
      return new Interceptor(recorder_, info->method());
    }

   private:
    ResponseRecorder* const recorder_;
  };

  mutable absl::Mutex mu_;
  std::vector<Response> responses_;
};

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_RESPONSE_RECORDER_H_
