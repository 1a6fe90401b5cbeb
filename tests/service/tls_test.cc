// TLS and mTLS: identityd in process with certificates from
// deploy/dev-certs.sh, clients over TLS, with certificates of the same CA
// and of another, and the plaintext-beyond-loopback guard.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/identity_server.h"
#include "testing/server_env.h"
#include "testing/temp_dir.h"

namespace identity::service {
namespace {

using testing::ErrorReason;
using testing::kAdminPassword;
using testing::ReadFile;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";

// Certificates made by the script operators use, once per test binary.
class Certificates {
 public:
  static const Certificates& Get() {
    static const Certificates* certificates = new Certificates();
    return *certificates;
  }
  std::string ours(const std::string& file) const { return dir_.Join(file); }
  std::string other(const std::string& file) const {
    return dir_.Join("other/" + file);
  }

 private:
  Certificates() {
    const std::string script =
        absl::StrCat(IDENTITY_SOURCE_DIR, "/deploy/dev-certs.sh");
    EXPECT_EQ(std::system(absl::StrCat(script, " ", dir_.Join(""),
                                       " ci-service > /dev/null")
                              .c_str()),
              0);
    EXPECT_EQ(std::system(absl::StrCat(script, " ", dir_.Join("other"),
                                       " ci-service > /dev/null")
                              .c_str()),
              0);
  }
  testing::TempDir dir_;
};

std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& ca,
                                              const std::string& cert = "",
                                              const std::string& key = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(ca);
  if (!cert.empty()) {
    options.pem_cert_chain = ReadFile(cert);
    options.pem_private_key = ReadFile(key);
  }
  return grpc::SslCredentials(options);
}

class TlsTest : public ::testing::Test {
 protected:
  void ServeTls(bool mutual, const std::string& principals = "") {
    const Certificates& certs = Certificates::Get();
    env_.config().tls_cert_file = certs.ours("server.pem");
    env_.config().tls_key_file = certs.ours("server.key");
    if (mutual) env_.config().tls_client_ca_file = certs.ours("ca.pem");
    if (!principals.empty()) {
      const std::string file = env_.dir().Join("principals");
      std::ofstream(file) << principals;
      env_.config().service_principals_file = file;
    }
  }

  grpc::Status CreateKey(const std::string& user, const std::string& password,
                         const std::string& for_user) {
    grpc::ClientContext context;
    if (!user.empty()) ServerEnv::SetBasic(context, user, password);
    v1::CreateAccessKeyRequest request;
    request.set_user_name(for_user);
    v1::CreateAccessKeyResponse response;
    return env_.keys->CreateAccessKey(&context, request, &response);
  }
  grpc::Status ListKeys(const std::string& user, const std::string& password,
                        const std::string& for_user, int* count) {
    grpc::ClientContext context;
    if (!user.empty()) ServerEnv::SetBasic(context, user, password);
    v1::ListAccessKeysRequest request;
    request.set_user_name(for_user);
    v1::ListAccessKeysResponse response;
    grpc::Status status =
        env_.keys->ListAccessKeys(&context, request, &response);
    *count = response.access_keys_size();
    return status;
  }

  ServerEnv env_;
};

TEST_F(TlsTest, CreateAndListOverTls) {
  ServeTls(/*mutual=*/false);
  env_.UseChannelCredentials(Tls(Certificates::Get().ours("ca.pem")),
                             "localhost");
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "").ok());
  int count = 0;
  ASSERT_TRUE(ListKeys("alice", kAlicePassword, "", &count).ok());
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(absl::StrContains(env_.ReadLog(), "\"transport\":\"tls\""));

  // A plaintext client cannot talk to it.
  auto plain = v1::AccessKeyService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", env_.server().port()),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  v1::ListAccessKeysResponse response;
  EXPECT_EQ(plain->ListAccessKeys(&context, {}, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsServiceAdminActsForAnyUser) {
  ServeTls(/*mutual=*/true, "# services\nci-service admin\n");
  const Certificates& certs = Certificates::Get();
  env_.UseChannelCredentials(Tls(certs.ours("ca.pem"), certs.ours("client.pem"),
                                 certs.ours("client.key")),
                             "localhost");
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);  // Basic still works over mTLS
  // No password, no token: the certificate is the credential.
  ASSERT_TRUE(CreateKey("", "", "alice").ok());
  int count = 0;
  ASSERT_TRUE(ListKeys("", "", "alice", &count).ok());
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(
      absl::StrContains(env_.ReadLog(), "\"actor\":\"svc:ci-service\""));
  EXPECT_TRUE(absl::StrContains(env_.ReadLog(), "\"transport\":\"mtls\""));
}

TEST_F(TlsTest, MutualTlsReaderMayOnlyRead) {
  ServeTls(/*mutual=*/true, "ci-service reader\n");
  const Certificates& certs = Certificates::Get();
  env_.UseChannelCredentials(Tls(certs.ours("ca.pem"), certs.ours("client.pem"),
                                 certs.ours("client.key")),
                             "localhost");
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);
  int count = -1;
  EXPECT_TRUE(ListKeys("", "", "alice", &count).ok());
  EXPECT_EQ(count, 0);
  EXPECT_EQ(CreateKey("", "", "alice").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Role verifier: VerifySignature answers (a verdict, here on an unsigned
// request), every other call is refused, reads included; a reader may not
// verify.
TEST_F(TlsTest, MutualTlsVerifierMayOnlyVerify) {
  ServeTls(/*mutual=*/true, "ci-service verifier\n");
  const Certificates& certs = Certificates::Get();
  env_.UseChannelCredentials(Tls(certs.ours("ca.pem"), certs.ours("client.pem"),
                                 certs.ours("client.key")),
                             "localhost");
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);
  v1::VerifySignatureRequest request;
  request.mutable_request()->set_method("GET");
  request.mutable_request()->set_path("/");
  v1::VerifySignatureResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        env_.signatures->VerifySignature(&context, request, &response).ok());
  }
  EXPECT_FALSE(response.valid());
  EXPECT_EQ(response.error_code(), "AccessDenied");
  int count = -1;
  EXPECT_EQ(ListKeys("", "", "alice", &count).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateKey("", "", "alice").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext context;
  v1::ListAuditEventsResponse events;
  EXPECT_EQ(env_.audit->ListAuditEvents(&context, {}, &events).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TlsTest, MutualTlsReaderMayNotVerify) {
  ServeTls(/*mutual=*/true, "ci-service reader\n");
  const Certificates& certs = Certificates::Get();
  env_.UseChannelCredentials(Tls(certs.ours("ca.pem"), certs.ours("client.pem"),
                                 certs.ours("client.key")),
                             "localhost");
  env_.Start();
  grpc::ClientContext context;
  v1::VerifySignatureRequest request;
  v1::VerifySignatureResponse response;
  EXPECT_EQ(env_.signatures->VerifySignature(&context, request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TlsTest, MutualTlsRefusesOtherCasAndNoCertificate) {
  ServeTls(/*mutual=*/true, "ci-service admin\n");
  const Certificates& certs = Certificates::Get();
  // Same name, but signed by another CA: the handshake fails.
  env_.UseChannelCredentials(
      Tls(certs.ours("ca.pem"), certs.other("client.pem"),
          certs.other("client.key")),
      "localhost");
  env_.Start();
  int count = 0;
  grpc::ClientContext context;
  EXPECT_EQ(ListKeys("", "", "admin", &count).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto no_cert = v1::AccessKeyService::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", env_.server().port()),
      Tls(certs.ours("ca.pem")), [] {
        grpc::ChannelArguments args;
        args.SetSslTargetNameOverride("localhost");
        return args;
      }()));
  grpc::ClientContext bare;
  bare.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ServerEnv::SetBasic(bare, "admin", kAdminPassword);
  v1::ListAccessKeysResponse response;
  EXPECT_EQ(no_cert->ListAccessKeys(&bare, {}, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, PlaintextBeyondLoopbackNeedsInsecure) {
  ServerConfig config = env_.config();
  config.listen_address = "0.0.0.0:0";
  Logger logger(std::tmpfile());
  absl::StatusOr<std::unique_ptr<IdentityServer>> refused =
      IdentityServer::Start(config, logger);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "--insecure"));

  env_.config().listen_address = "0.0.0.0:0";
  env_.config().allow_insecure = true;
  env_.Start();
  EXPECT_TRUE(absl::StrContains(env_.ReadLog(), "insecure_listen"));
}

// A host name is loopback only if it resolves to loopback: the spelling
// "127." proves nothing.
TEST_F(TlsTest, PlaintextLoopbackIsJudgedByResolvedAddresses) {
  for (const char* address : {"127.evil.example:0", "127.0.0.1.example:0"}) {
    ServerConfig config = env_.config();
    config.listen_address = address;
    Logger logger(std::tmpfile());
    absl::StatusOr<std::unique_ptr<IdentityServer>> refused =
        IdentityServer::Start(config, logger);
    ASSERT_FALSE(refused.ok()) << address;
    EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()))
        << address << ": " << refused.status();
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "--insecure"));
  }
  // localhost resolves (/etc/hosts) to loopback only.
  env_.config().listen_address = "localhost:0";
  env_.Start();
  EXPECT_FALSE(absl::StrContains(env_.ReadLog(), "insecure_listen"));
}

}  // namespace
}  // namespace identity::service
