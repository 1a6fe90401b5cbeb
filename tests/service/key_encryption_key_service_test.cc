// KeyEncryptionKeyService on a live server: a KEK line added in front of
// the old one, a rewrap started over gRPC runs while the server serves,
// the status reports no old KEK in use, and with the old line removed every
// secret still opens. Only admins with the password may start a run.
#include <sys/stat.h>

#include <fstream>
#include <thread>

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

  ServerEnv env_;
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
