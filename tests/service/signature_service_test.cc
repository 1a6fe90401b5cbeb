// SignatureService in process: who may call it, the verdict's fields over
// the wire, the access-log line and the metrics. Requests are signed here
// with the auth layer's signer; tests/e2e signs with real SDKs.
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/sigv4_signer.h"
#include "gtest/gtest.h"
#include "testing/server_env.h"

namespace identity::service {
namespace {

using testing::kAdminPassword;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";

struct Key {
  std::string id;
  std::string secret;
};

v1::SignedHttpRequest SignedGet(const Key& key, absl::Time now) {
  const std::string date =
      absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
  auth::SignedRequest request;
  request.method = "GET";
  request.path = "/bucket/key%20one";
  request.query = "list-type=2&prefix=a%2Fb";
  request.headers = {{"Host", "s3.example"},
                     {"x-amz-date", date},
                     {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
  const std::vector<std::string> signed_headers = {
      "host", "x-amz-content-sha256", "x-amz-date"};
  const std::string string_to_sign = auth::SigV4StringToSign(
      date, date.substr(0, 8), "us-east-1", "s3",
      auth::SigV4CanonicalRequest(
          request, signed_headers, auth::SignatureForm::kHeader,
          auth::SigV4PathRule::kAsSent, "UNSIGNED-PAYLOAD"));
  const std::string signature = auth::SigV4Signature(
      auth::SigV4SigningKey(key.secret, date.substr(0, 8), "us-east-1", "s3"),
      string_to_sign);
  v1::SignedHttpRequest out;
  out.set_method(request.method);
  out.set_path(request.path);
  out.set_query(request.query);
  for (const auto& header : request.headers) {
    v1::HttpHeader* added = out.add_headers();
    added->set_name(header.name);
    added->set_value(header.value);
  }
  v1::HttpHeader* authorization = out.add_headers();
  authorization->set_name("Authorization");
  authorization->set_value(absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=", key.id, "/", date.substr(0, 8),
      "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;"
      "x-amz-date, Signature=",
      signature));
  return out;
}

class SignatureServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Start();
    env_.CreateUser("alice", kAlicePassword);
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", kAlicePassword);
    v1::CreateAccessKeyResponse created;
    ASSERT_TRUE(env_.keys->CreateAccessKey(&context, {}, &created).ok());
    key_ = {created.access_key().access_key_id(), created.secret_access_key()};
  }

  grpc::Status Verify(const std::string& user, const std::string& password,
                      const v1::SignedHttpRequest& request,
                      v1::VerifySignatureResponse& response) {
    grpc::ClientContext context;
    if (!user.empty()) ServerEnv::SetBasic(context, user, password);
    v1::VerifySignatureRequest message;
    *message.mutable_request() = request;
    return env_.signatures->VerifySignature(&context, message, &response);
  }

  ServerEnv env_;
  Key key_;
};

TEST_F(SignatureServiceTest, AdminGetsTheVerdict) {
  v1::VerifySignatureResponse response;
  ASSERT_TRUE(
      Verify("admin", kAdminPassword, SignedGet(key_, absl::Now()), response)
          .ok());
  EXPECT_TRUE(response.valid()) << response.error_message() << "\n"
                                << response.canonical_request();
  EXPECT_EQ(response.access_key_id(), key_.id);
  EXPECT_EQ(response.user_name(), "alice");
  EXPECT_FALSE(response.user_id().empty());
  EXPECT_EQ(response.signature_version(), v1::AWS_SIGV4);
  EXPECT_EQ(response.region(), "us-east-1");
  EXPECT_EQ(response.service(), "s3");
  EXPECT_EQ(response.signed_payload(), "UNSIGNED-PAYLOAD");

  v1::SignedHttpRequest tampered = SignedGet(key_, absl::Now());
  tampered.set_path("/bucket/key%20two");
  ASSERT_TRUE(Verify("admin", kAdminPassword, tampered, response).ok());
  EXPECT_FALSE(response.valid());
  EXPECT_EQ(response.error_code(), "SignatureDoesNotMatch");
  EXPECT_TRUE(absl::StartsWith(response.canonical_request(),
                               "GET\n/bucket/key%20two\n"));
  EXPECT_TRUE(absl::StartsWith(response.string_to_sign(), "AWS4-HMAC-SHA256"));
  EXPECT_TRUE(response.user_name().empty());
}

TEST_F(SignatureServiceTest, UsersSessionsAndAnonymousAreRefused) {
  const v1::SignedHttpRequest request = SignedGet(key_, absl::Now());
  v1::VerifySignatureResponse response;
  EXPECT_EQ(Verify("alice", kAlicePassword, request, response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Verify("", "", request, response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A user's session is no better than their password.
  grpc::ClientContext login_context;
  ServerEnv::SetBasic(login_context, "alice", kAlicePassword);
  v1::LoginResponse login;
  ASSERT_TRUE(env_.sessions->Login(&login_context, {}, &login).ok());
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + login.session_token());
  v1::VerifySignatureRequest message;
  *message.mutable_request() = request;
  EXPECT_EQ(env_.signatures->VerifySignature(&context, message, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_FALSE(response.valid());
}

TEST_F(SignatureServiceTest, OneAccessLogLineWithKeyAndResultNeverSecrets) {
  v1::SignedHttpRequest request = SignedGet(key_, absl::Now());
  const std::string authorization = request.headers(3).value();
  const std::string signature =
      authorization.substr(authorization.find("Signature=") + 10);
  v1::VerifySignatureResponse response;
  ASSERT_TRUE(Verify("admin", kAdminPassword, request, response).ok());
  request.set_method("PUT");
  ASSERT_TRUE(Verify("admin", kAdminPassword, request, response).ok());
  const std::string log = env_.ReadLog();
  EXPECT_TRUE(absl::StrContains(
      log,
      absl::StrCat("\"access_key_id\":\"", key_.id, "\",\"result\":\"valid\"")))
      << log;
  EXPECT_TRUE(absl::StrContains(log, "\"result\":\"SignatureDoesNotMatch\""));
  EXPECT_FALSE(absl::StrContains(log, signature));
  EXPECT_FALSE(absl::StrContains(log, key_.secret));
}

TEST(SignatureMetrics, CountsByVersionAndResult) {
  ServerMetrics metrics;
  metrics.RecordSignatureVerification("AWS_SIGV4", "valid");
  metrics.RecordSignatureVerification("AWS_SIGV4", "valid");
  metrics.RecordSignatureVerification("OBS_V2", "SignatureDoesNotMatch");
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(absl::StrContains(
      text,
      "identity_signature_verifications_total{result=\"valid\",version=\"AWS_"
      "SIGV4\"} 2"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "{result=\"SignatureDoesNotMatch\",version=\"OBS_V2\"} 1"));
}

TEST_F(SignatureServiceTest, LastUseShowsInListAccessKeys) {
  v1::VerifySignatureResponse response;
  ASSERT_TRUE(
      Verify("admin", kAdminPassword, SignedGet(key_, absl::Now()), response)
          .ok());
  ASSERT_TRUE(response.valid());
  // Recorded off the call path within the flush interval (1 s); bounded.
  v1::ListAccessKeysResponse keys;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::ListAccessKeysRequest list;
    list.set_user_name("alice");
    ASSERT_TRUE(env_.keys->ListAccessKeys(&context, list, &keys).ok());
    if (keys.access_keys(0).has_last_used_time()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(keys.access_keys(0).has_last_used_time());
  EXPECT_EQ(keys.access_keys(0).last_used_service(), "s3");
  EXPECT_EQ(keys.access_keys(0).last_used_region(), "us-east-1");
}

TEST_F(SignatureServiceTest, MissingPayloadHashIsTheGatewaysError) {
  v1::SignedHttpRequest request = SignedGet(key_, absl::Now());
  request.set_payload_sha256("XYZ");
  v1::VerifySignatureResponse response;
  grpc::Status status = Verify("admin", kAdminPassword, request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "payload_sha256"));
}

}  // namespace
}  // namespace identity::service
