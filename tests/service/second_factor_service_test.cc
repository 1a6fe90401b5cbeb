// Verification codes, MFA devices and the audit trail through gRPC, against
// identityd in this process, with both notifiers for real.
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "service/identity_server.h"
#include "testing/server_env.h"
#include "testing/totp_device.h"

namespace identity::service {
namespace {

using testing::ErrorReason;
using testing::kAdminPassword;
using testing::LastSentCode;
using testing::ReadFile;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";

class SecondFactorServiceTest : public ::testing::Test {
 protected:
  void Start() {
    env_.Start();
    env_.CreateUser("alice", kAlicePassword);
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::UpdateUserRequest request;
    request.set_user_name("alice");
    request.set_email("alice@example.com");
    v1::UpdateUserResponse response;
    ASSERT_TRUE(env_.users->UpdateUser(&context, request, &response).ok());
  }

  grpc::Status CreateKey(const std::string& code,
                         v1::CreateAccessKeyResponse* response) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", kAlicePassword);
    if (!code.empty()) context.AddMetadata("x-verification-code", code);
    return env_.keys->CreateAccessKey(&context, {}, response);
  }

  grpc::Status SendCode(v1::SendVerificationCodeResponse* response) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", kAlicePassword);
    v1::SendVerificationCodeRequest request;
    request.set_channel(v1::SendVerificationCodeRequest::EMAIL);
    return env_.sessions->SendVerificationCode(&context, request, response);
  }

  std::vector<v1::AuditEvent> Audit(const std::string& user_name) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::ListAuditEventsRequest request;
    request.set_user_name(user_name);
    v1::ListAuditEventsResponse response;
    grpc::Status status =
        env_.audit->ListAuditEvents(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.events().begin(), response.events().end()};
  }

  ServerEnv env_;
};

TEST_F(SecondFactorServiceTest, CreateAccessKeyWithAnEmailedCode) {
  const std::string outbox = env_.dir().Join("outbox.jsonl");
  env_.config().notify_outbox_file = outbox;
  Start();

  v1::CreateAccessKeyResponse created;
  grpc::Status status = CreateKey("", &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(status), "VERIFICATION_CODE_REQUIRED");

  v1::SendVerificationCodeResponse sent;
  status = SendCode(&sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.masked_destination(), "a***@example.com");
  EXPECT_GT(sent.expire_time().seconds(), 0);
  const std::string code = LastSentCode(outbox);
  ASSERT_EQ(code.size(), 6u);
  const std::string line = ReadFile(outbox);
  EXPECT_TRUE(absl::StrContains(line, "\"to\":\"a***@example.com\""));
  EXPECT_FALSE(absl::StrContains(line, "alice@example.com"));

  // A second send within a minute is refused, with the wait.
  v1::SendVerificationCodeResponse again;
  status = SendCode(&again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "retry in"));

  status = CreateKey(code == "000000" ? "111111" : "000000", &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(status), std::nullopt);
  status = CreateKey(code, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = CreateKey(code, &created);  // single use
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // The audit trail saw it, newest first, and so did the log.
  const std::vector<v1::AuditEvent> events = Audit("alice");
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].type(), v1::AuditEvent::LOGIN_FAILED);  // reused code
  EXPECT_EQ(events[1].type(), v1::AuditEvent::ACCESS_KEY_CREATED);
  EXPECT_EQ(events[1].access_key_id(), created.access_key().access_key_id());
  EXPECT_EQ(events[1].client_address(), "127.0.0.1");
  bool code_sent = false;
  for (const v1::AuditEvent& event : events) {
    code_sent |= event.type() == v1::AuditEvent::VERIFICATION_CODE_SENT &&
                 event.detail() == "channel=EMAIL to=a***@example.com";
  }
  EXPECT_TRUE(code_sent);
  const std::string log = env_.ReadLog();
  EXPECT_TRUE(absl::StrContains(log, "\"type\":\"ACCESS_KEY_CREATED\""));

  // Nothing secret in the log.
  env_.Stop();
  const std::string final_log = env_.ReadLog();
  for (const std::string& secret :
       {std::string(kAlicePassword), std::string(kAdminPassword), code,
        created.secret_access_key()}) {
    EXPECT_FALSE(absl::StrContains(final_log, secret))
        << "the server log holds a secret the test used";
  }
}

TEST_F(SecondFactorServiceTest, AuditTrailIsForAdmins) {
  env_.config().notify_outbox_file = env_.dir().Join("outbox.jsonl");
  Start();
  v1::SendVerificationCodeResponse sent;
  ASSERT_TRUE(SendCode(&sent).ok());
  grpc::ClientContext context;
  ServerEnv::SetBasic(context, "alice", kAlicePassword);
  context.AddMetadata("x-verification-code",
                      LastSentCode(env_.dir().Join("outbox.jsonl")));
  v1::ListAuditEventsResponse response;
  EXPECT_EQ(env_.audit->ListAuditEvents(&context, {}, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SecondFactorServiceTest, ANotifyCommandGetsTheMessageOnStdin) {
  const std::string delivered = env_.dir().Join("delivered.json");
  env_.config().notify_command = "cat > '" + delivered + "'";
  Start();
  v1::SendVerificationCodeResponse sent;
  grpc::Status status = SendCode(&sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string message = ReadFile(delivered);
  EXPECT_TRUE(absl::StrContains(message, "\"channel\":\"EMAIL\""));
  EXPECT_TRUE(absl::StrContains(message, "\"to\":\"alice@example.com\""));
  const std::string code = LastSentCode(delivered);
  ASSERT_EQ(code.size(), 6u);
  v1::CreateAccessKeyResponse created;
  status = CreateKey(code, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(SecondFactorServiceTest, AFailingNotifyCommandIsUnavailableAndLogged) {
  env_.config().notify_command = "cat > /dev/null; exit 3";
  Start();
  v1::SendVerificationCodeResponse sent;
  grpc::Status status = SendCode(&sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "exited with status 3"))
      << status.error_message();
  const std::string log = env_.ReadLog();
  EXPECT_TRUE(absl::StrContains(log, "\"event\":\"notify_failed\""));
  EXPECT_TRUE(absl::StrContains(log, "exited with status 3"));
}

TEST_F(SecondFactorServiceTest, WithoutANotifierSendingIsUnavailable) {
  Start();
  v1::SendVerificationCodeResponse sent;
  grpc::Status status = SendCode(&sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "--notify_outbox"));
}

TEST_F(SecondFactorServiceTest, MfaDeviceEnrolmentAndLoginWithIt) {
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);  // no channel bound
  auto call = [&](auto method, const auto& request, auto* response,
                  const std::string& code) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", kAlicePassword);
    if (!code.empty()) context.AddMetadata("x-verification-code", code);
    return ((*env_.users).*method)(&context, request, response);
  };
  v1::EnrollMfaDeviceResponse enrolled;
  grpc::Status status = call(&v1::UserService::Stub::EnrollMfaDevice,
                             v1::EnrollMfaDeviceRequest(), &enrolled, "");
  ASSERT_TRUE(status.ok()) << status.error_message();
  testing::TotpDevice device(enrolled.otpauth_uri());
  ASSERT_TRUE(device.valid());
  // Two consecutive codes: the previous step's and the current one.
  const absl::Time now = absl::Now();
  v1::ConfirmMfaDeviceRequest confirm;
  confirm.set_first_code(device.CodeAt(now - absl::Seconds(30)));
  confirm.set_second_code(device.CodeAt(now));
  v1::ConfirmMfaDeviceResponse confirmed;
  status =
      call(&v1::UserService::Stub::ConfirmMfaDevice, confirm, &confirmed, "");
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Login now wants a code; the next step's is within the drift allowed.
  grpc::ClientContext login;
  ServerEnv::SetBasic(login, "alice", kAlicePassword);
  v1::LoginResponse session;
  status = env_.sessions->Login(&login, {}, &session);
  EXPECT_EQ(ErrorReason(status), "VERIFICATION_CODE_REQUIRED");
  grpc::ClientContext login_with_code;
  ServerEnv::SetBasic(login_with_code, "alice", kAlicePassword);
  login_with_code.AddMetadata("x-verification-code",
                              device.CodeAt(now + absl::Seconds(30)));
  status = env_.sessions->Login(&login_with_code, {}, &session);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // The session carries both factors.
  grpc::ClientContext get;
  get.AddMetadata("authorization", "Bearer " + session.session_token());
  v1::GetUserResponse user;
  ASSERT_TRUE(env_.users->GetUser(&get, {}, &user).ok());
  EXPECT_TRUE(user.user().mfa_enabled());
  // Removing one's own device needs a code too.
  v1::DeleteMfaDeviceResponse deleted;
  status = call(&v1::UserService::Stub::DeleteMfaDevice,
                v1::DeleteMfaDeviceRequest(), &deleted, "");
  EXPECT_EQ(ErrorReason(status), "VERIFICATION_CODE_REQUIRED");

  env_.Stop();
  const std::string log = env_.ReadLog();
  const std::string uri = enrolled.otpauth_uri();
  for (const std::string& secret :
       {std::string(kAlicePassword), uri.substr(uri.find("secret=") + 7, 32),
        confirm.first_code(), confirm.second_code(), session.session_token()}) {
    EXPECT_FALSE(absl::StrContains(log, secret))
        << "the server log holds a secret the test used";
  }
}

}  // namespace
}  // namespace identity::service
