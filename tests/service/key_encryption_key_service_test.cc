// KeyEncryptionKeyService on a live server: a KEK line added in front of
// the old one, a rewrap started over gRPC runs while the server serves,
// the status reports no old KEK in use, and with the old line removed every
// secret still opens. Only admins with the password may start a run.
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "absl/time/clock.h"
#include "auth/sigv4_signer.h"
#include "gtest/gtest.h"
#include "identity/v1/key_encryption_key_service.grpc.pb.h"
#include "testing/files.h"
#include "testing/server_env.h"

namespace identity {
namespace {

using testing::kAdminPassword;
using testing::ServerEnv;

constexpr char kNewKekLine[] =
    "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

// A SigV4-signed GET by `key_id` (as in signature_service_test.cc).
v1::SignedHttpRequest SignedGet(const std::string& key_id,
                                const std::string& secret) {
  const std::string date =
      absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone());
  auth::SignedRequest request;
  request.method = "GET";
  request.path = "/bucket/object";
  request.headers = {{"Host", "s3.example"},
                     {"x-amz-date", date},
                     {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}};
  const std::string signature = auth::SigV4Signature(
      auth::SigV4SigningKey(secret, date.substr(0, 8), "us-east-1", "s3"),
      auth::SigV4StringToSign(
          date, date.substr(0, 8), "us-east-1", "s3",
          auth::SigV4CanonicalRequest(
              request, {"host", "x-amz-content-sha256", "x-amz-date"},
              auth::SignatureForm::kHeader, auth::SigV4PathRule::kAsSent,
              "UNSIGNED-PAYLOAD")));
  v1::SignedHttpRequest out;
  out.set_method(request.method);
  out.set_path(request.path);
  for (const auto& header : request.headers) {
    v1::HttpHeader* added = out.add_headers();
    added->set_name(header.name);
    added->set_value(header.value);
  }
  v1::HttpHeader* authorization = out.add_headers();
  authorization->set_name("Authorization");
  authorization->set_value(absl::StrCat(
      "AWS4-HMAC-SHA256 Credential=", key_id, "/", date.substr(0, 8),
      "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;"
      "x-amz-date, Signature=",
      signature));
  return out;
}

void WriteKekFile(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::trunc) << contents;
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
}

class KeyEncryptionKeyServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Start();  // generates the dev KEK: the old one
    env_.CreateUser("alice", "alice-password-1");
    for (int i = 0; i < 2; ++i) {
      grpc::ClientContext context;
      ServerEnv::SetBasic(context, "alice", "alice-password-1");
      v1::CreateAccessKeyResponse created;
      ASSERT_TRUE(env_.keys
                      ->CreateAccessKey(&context, v1::CreateAccessKeyRequest(),
                                        &created)
                      .ok());
      key_id_ = created.access_key().access_key_id();
      secret_ = created.secret_access_key();
    }
    old_kek_ = testing::ReadFile(env_.config().master_key_file);
    // The operator's first step: the new line first, the old kept.
    env_.Stop();
    WriteKekFile(env_.config().master_key_file,
                 absl::StrCat(kNewKekLine, "\n", old_kek_));
    env_.Start();
    kek_ = v1::KeyEncryptionKeyService::NewStub(env_.channel());
  }

  grpc::Status Rewrap(grpc::ClientContext& context, bool dry_run, bool verify,
                      v1::RewrapSecretsResponse* response) {
    v1::RewrapSecretsRequest request;
    request.set_dry_run(dry_run);
    request.set_verify(verify);
    return kek_->RewrapSecrets(&context, request, response);
  }

  v1::GetKeyEncryptionKeyStatusResponse Status() {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::GetKeyEncryptionKeyStatusResponse status;
    grpc::Status call = kek_->GetKeyEncryptionKeyStatus(
        &context, v1::GetKeyEncryptionKeyStatusRequest(), &status);
    EXPECT_TRUE(call.ok()) << call.error_message();
    return status;
  }

  // Starts a run as the admin and waits for its end.
  v1::RewrapRun RunToEnd(bool dry_run, bool verify) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::RewrapSecretsResponse started;
    grpc::Status call = Rewrap(context, dry_run, verify, &started);
    EXPECT_TRUE(call.ok()) << call.error_message();
    for (int i = 0; i < 300; ++i) {
      v1::GetKeyEncryptionKeyStatusResponse status = Status();
      if (status.last_run().state() != v1::RewrapRun::RUNNING) {
        return status.last_run();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the run did not end";
    return v1::RewrapRun();
  }

  // Whether a request alice signed is verified valid (asked by the admin);
  // false for an invalid verdict or a failed call alike.
  bool SignatureValid() {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::VerifySignatureRequest request;
    *request.mutable_request() = SignedGet(key_id_, secret_);
    v1::VerifySignatureResponse response;
    grpc::Status status =
        env_.signatures->VerifySignature(&context, request, &response);
    return status.ok() && response.valid();
  }

  ServerEnv env_;
  std::string key_id_;
  std::string secret_;
  std::string old_kek_;
  std::unique_ptr<v1::KeyEncryptionKeyService::Stub> kek_;
};

TEST_F(KeyEncryptionKeyServiceTest,
       RewrapMovesEverySecretToTheNewKekAndTheOldLineCanGo) {
  v1::GetKeyEncryptionKeyStatusResponse before = Status();
  ASSERT_EQ(before.kek_ids_size(), 2);
  EXPECT_EQ(before.sealing_kek_id(), before.kek_ids(0));
  EXPECT_FALSE(before.has_last_run());

  v1::RewrapRun counted = RunToEnd(/*dry_run=*/true, /*verify=*/false);
  EXPECT_EQ(counted.state(), v1::RewrapRun::SUCCEEDED);
  EXPECT_EQ(counted.resealed(), 2);
  ASSERT_EQ(counted.old_kek_ids_in_use_size(), 1);
  EXPECT_EQ(counted.old_kek_ids_in_use(0), before.kek_ids(1));

  v1::RewrapRun run = RunToEnd(/*dry_run=*/false, /*verify=*/false);
  EXPECT_EQ(run.state(), v1::RewrapRun::SUCCEEDED);
  EXPECT_EQ(run.started_by(), "admin");
  EXPECT_EQ(run.access_keys_seen(), 2);
  EXPECT_EQ(run.resealed(), 2);
  EXPECT_EQ(run.failed_unknown_kek() + run.failed_does_not_open(), 0);
  EXPECT_EQ(run.old_kek_ids_in_use_size(), 0);
  EXPECT_EQ(run.secrets_by_kek().at(before.sealing_kek_id()), 2);
  EXPECT_TRUE(run.has_end_time());

  // One audit event for the run, none per key.
  grpc::ClientContext audit_context;
  ServerEnv::SetBasic(audit_context, "admin", kAdminPassword);
  v1::ListAuditEventsResponse events;
  ASSERT_TRUE(env_.audit
                  ->ListAuditEvents(&audit_context,
                                    v1::ListAuditEventsRequest(), &events)
                  .ok());
  int rewrap_events = 0;
  for (const v1::AuditEvent& event : events.events()) {
    if (event.type() == v1::AuditEvent::SECRETS_REWRAPPED) ++rewrap_events;
  }
  EXPECT_EQ(rewrap_events, 1);

  // The old line removed: every secret opens with the new one alone.
  env_.Stop();
  WriteKekFile(env_.config().master_key_file, absl::StrCat(kNewKekLine, "\n"));
  env_.Start();
  kek_ = v1::KeyEncryptionKeyService::NewStub(env_.channel());
  v1::RewrapRun verified = RunToEnd(/*dry_run=*/true, /*verify=*/true);
  EXPECT_EQ(verified.state(), v1::RewrapRun::SUCCEEDED);
  EXPECT_EQ(verified.already_current(), 2);
  EXPECT_EQ(verified.failed_unknown_kek() + verified.failed_does_not_open(), 0);
}

TEST_F(KeyEncryptionKeyServiceTest, SignaturesVerifyBeforeAndAfterTheRewrap) {
  // Before: the signing key is opened under the old KEK and cached.
  EXPECT_TRUE(SignatureValid());
  ASSERT_EQ(RunToEnd(/*dry_run=*/false, /*verify=*/false).resealed(), 2);
  // After: the cache is keyed by the sealed form, so the re-sealed secret
  // is opened afresh, under the new KEK, to the same secret.
  EXPECT_TRUE(SignatureValid());
  env_.Stop();
  WriteKekFile(env_.config().master_key_file, absl::StrCat(kNewKekLine, "\n"));
  env_.Start();
  EXPECT_TRUE(SignatureValid());
  // The old line alone: the key no longer opens, and fails closed (the
  // call fails, naming the unknown KEK id).
  env_.Stop();
  WriteKekFile(env_.config().master_key_file, old_kek_);
  env_.Start();
  EXPECT_FALSE(SignatureValid());
}

TEST_F(KeyEncryptionKeyServiceTest, OnlyAnAdminWithThePasswordMayRewrap) {
  v1::RewrapSecretsResponse response;
  {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", "alice-password-1");
    EXPECT_EQ(Rewrap(context, false, false, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext login_context;
    ServerEnv::SetBasic(login_context, "admin", kAdminPassword);
    v1::LoginResponse login;
    ASSERT_TRUE(
        env_.sessions->Login(&login_context, v1::LoginRequest(), &login).ok());
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + login.session_token());
    grpc::Status status = Rewrap(context, false, false, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(testing::ErrorReason(status), "PASSWORD_REQUIRED");
    // The session may read the status.
    grpc::ClientContext status_context;
    status_context.AddMetadata("authorization",
                               "Bearer " + login.session_token());
    v1::GetKeyEncryptionKeyStatusResponse status_response;
    EXPECT_TRUE(kek_->GetKeyEncryptionKeyStatus(
                        &status_context, v1::GetKeyEncryptionKeyStatusRequest(),
                        &status_response)
                    .ok());
  }
  {
    grpc::ClientContext context;
    v1::GetKeyEncryptionKeyStatusResponse status;
    EXPECT_EQ(kek_->GetKeyEncryptionKeyStatus(
                      &context, v1::GetKeyEncryptionKeyStatusRequest(), &status)
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_FALSE(Status().has_last_run());
}

}  // namespace
}  // namespace identity
