#ifndef IDENTITY_TESTS_TESTING_SERVER_ENV_H_
#define IDENTITY_TESTS_TESTING_SERVER_ENV_H_

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "identity/v1/audit_service.grpc.pb.h"
#include "identity/v1/session_service.grpc.pb.h"
#include "identity/v1/signature_service.grpc.pb.h"
#include "identity/v1/user_service.grpc.pb.h"
#include "service/identity_server.h"
#include "testing/files.h"
#include "testing/response_recorder.h"
#include "testing/temp_dir.h"

namespace identity::testing {

inline constexpr char kAdminPassword[] = "admin-password-1";

// identityd in this process on 127.0.0.1:0 over a temp dir, logging to a
// file the test can read back, with stubs for its services.
class ServerEnv {
 public:
  ServerEnv() {
    config_.listen_address = "127.0.0.1:0";
    config_.data_dir = dir_.Join("data");
    config_.master_key_file = dir_.Join("master.key");
    config_.bootstrap_admin = "admin";
    config_.bootstrap_password = kAdminPassword;
    config_.worker_threads = 2;
  }
  ~ServerEnv() { Stop(); }

  service::ServerConfig& config() { return config_; }
  const TempDir& dir() const { return dir_; }

  void Start() {
    log_file_ = std::fopen(dir_.Join("server.log").c_str(), "a");
    logger_ = std::make_unique<service::Logger>(log_file_, log_level_);
    absl::StatusOr<std::unique_ptr<service::IdentityServer>> server =
        service::IdentityServer::Start(config_, *logger_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    std::vector<
        std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(recorder_.NewFactory());
    grpc::ChannelArguments args;
    if (!tls_target_name_.empty()) {
      args.SetSslTargetNameOverride(tls_target_name_);
    }
    channel_ = grpc::experimental::CreateCustomChannelWithInterceptors(
        absl::StrCat("127.0.0.1:", server_->port()), channel_credentials_, args,
        std::move(interceptors));
    keys = v1::AccessKeyService::NewStub(channel_);
    users = v1::UserService::NewStub(channel_);
    sessions = v1::SessionService::NewStub(channel_);
    audit = v1::AuditService::NewStub(channel_);
    signatures = v1::SignatureService::NewStub(channel_);
  }

  void Stop() {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(10));
    server_.reset();
    logger_.reset();
    if (log_file_ != nullptr) std::fclose(log_file_);
    log_file_ = nullptr;
  }

  void Restart() {
    Stop();
    Start();
  }

  // Lines below `level` are not written, from the next Start().
  void SetLogLevel(service::LogLevel level) { log_level_ = level; }

  service::IdentityServer& server() { return *server_; }
  // The stubs' transport from the next Start(): TLS credentials, and the
  // name the server certificate must carry.
  void UseChannelCredentials(std::shared_ptr<grpc::ChannelCredentials> creds,
                             std::string target_name) {
    channel_credentials_ = std::move(creds);
    tls_target_name_ = std::move(target_name);
  }
  // Every response the stubs received so far, across restarts.
  std::vector<ResponseRecorder::Response> responses() const {
    return recorder_.responses();
  }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

  // Everything logged so far (buffered lines are written first).
  std::string ReadLog() const {
    if (logger_ != nullptr) logger_->Flush();
    return ReadFile(dir_.Join("server.log"));
  }

  // Creates a user through the API as the bootstrap admin.
  void CreateUser(const std::string& name, const std::string& password) {
    grpc::ClientContext context;
    SetBasic(context, "admin", kAdminPassword);
    v1::CreateUserRequest request;
    request.set_user_name(name);
    request.set_password(password);
    v1::CreateUserResponse response;
    grpc::Status status = users->CreateUser(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static void SetBasic(grpc::ClientContext& context, const std::string& name,
                       const std::string& password) {
    context.AddMetadata(
        "authorization",
        "Basic " + absl::Base64Escape(absl::StrCat(name, ":", password)));
  }

  std::unique_ptr<v1::AccessKeyService::Stub> keys;
  std::unique_ptr<v1::UserService::Stub> users;
  std::unique_ptr<v1::SessionService::Stub> sessions;
  std::unique_ptr<v1::AuditService::Stub> audit;
  std::unique_ptr<v1::SignatureService::Stub> signatures;

 private:
  TempDir dir_;
  ResponseRecorder recorder_;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials_ =
      grpc::InsecureChannelCredentials();
  std::string tls_target_name_;
  service::ServerConfig config_;
  std::FILE* log_file_ = nullptr;
  service::LogLevel log_level_ = service::LogLevel::kInfo;
  std::unique_ptr<service::Logger> logger_;
  std::unique_ptr<service::IdentityServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// The six digits after "code is " last written to a notifier's file (the
// outbox, or what a notify command saved).
inline std::string LastSentCode(const std::string& path) {
  const std::string text = ReadFile(path);
  const size_t at = text.rfind("code is ");
  return at == std::string::npos ? "" : text.substr(at + 8, 6);
}

// The google.rpc.ErrorInfo reason in a status's details, if any.
inline std::optional<std::string> ErrorReason(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() ||
      !details.ParseFromString(status.error_details())) {
    return std::nullopt;
  }
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return std::nullopt;
}

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_SERVER_ENV_H_
