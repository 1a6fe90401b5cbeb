// Runs every RPC the way clients do, then looks for each password, secret
// key, session token, MFA secret and code the run used in: every response
// other than the three that hand one out once (CreateAccessKey, Login,
// EnrollMfaDevice), the server log, and every byte of the data directory.
#include "testing/secret_scan.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/identity_server.h"
#include "testing/server_env.h"
#include "testing/totp_device.h"

namespace identity::service {
namespace {

using testing::kAdminPassword;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";
constexpr char kBobPassword[] = "bob-password-12";

class SecretScanTest : public ::testing::Test {
 protected:
  // A context with Basic credentials, and a code if given.
  std::unique_ptr<grpc::ClientContext> As(const std::string& user,
                                          const std::string& password,
                                          const std::string& code = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    ServerEnv::SetBasic(*context, user, password);
    if (!code.empty()) context->AddMetadata("x-verification-code", code);
    return context;
  }
  std::unique_ptr<grpc::ClientContext> Bearer(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  ServerEnv env_;
  std::vector<std::string> secrets_ = {kAdminPassword, kAlicePassword,
                                       kBobPassword};
};

TEST_F(SecretScanTest, NoSecretInAnyResponseLogOrDataFile) {
  const std::string outbox = env_.dir().Join("outbox.jsonl");
  env_.config().notify_outbox_file = outbox;
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);
  env_.CreateUser("bob", kBobPassword);

  // Keys, with and without a session.
  std::string key_id;
  for (int i = 0; i < 2; ++i) {
    v1::CreateAccessKeyResponse created;
    ASSERT_TRUE(
        env_.keys
            ->CreateAccessKey(As("alice", kAlicePassword).get(), {}, &created)
            .ok());
    secrets_.push_back(created.secret_access_key());
    key_id = created.access_key().access_key_id();
  }
  v1::LoginResponse login;
  ASSERT_TRUE(
      env_.sessions->Login(As("alice", kAlicePassword).get(), {}, &login).ok());
  secrets_.push_back(login.session_token());
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(
      env_.keys
          ->ListAccessKeys(Bearer(login.session_token()).get(), {}, &listed)
          .ok());
  v1::ListAccessKeysRequest all;
  all.set_all_users(true);
  ASSERT_TRUE(
      env_.keys->ListAccessKeys(As("admin", kAdminPassword).get(), all, &listed)
          .ok());
  v1::UpdateAccessKeyRequest update;
  update.set_access_key_id(key_id);
  update.set_status(v1::AccessKey::INACTIVE);
  v1::UpdateAccessKeyResponse updated;
  ASSERT_TRUE(env_.keys
                  ->UpdateAccessKey(Bearer(login.session_token()).get(), update,
                                    &updated)
                  .ok());
  v1::DeleteAccessKeyRequest remove;
  remove.set_access_key_id(key_id);
  v1::DeleteAccessKeyResponse removed;
  ASSERT_TRUE(env_.keys
                  ->DeleteAccessKey(Bearer(login.session_token()).get(), remove,
                                    &removed)
                  .ok());
  v1::LogoutResponse logout;
  ASSERT_TRUE(
      env_.sessions->Logout(Bearer(login.session_token()).get(), {}, &logout)
          .ok());

  // Users: read, change, bind an email and use a sent code.
  v1::GetUserResponse got;
  ASSERT_TRUE(
      env_.users->GetUser(As("bob", kBobPassword).get(), {}, &got).ok());
  v1::ListUsersResponse users;
  ASSERT_TRUE(
      env_.users->ListUsers(As("admin", kAdminPassword).get(), {}, &users)
          .ok());
  v1::UpdateUserRequest bind;
  bind.set_user_name("bob");
  bind.set_email("bob@example.com");
  v1::UpdateUserResponse bound;
  ASSERT_TRUE(
      env_.users->UpdateUser(As("admin", kAdminPassword).get(), bind, &bound)
          .ok());
  v1::SendVerificationCodeRequest send;
  send.set_channel(v1::SendVerificationCodeRequest::EMAIL);
  v1::SendVerificationCodeResponse sent;
  ASSERT_TRUE(
      env_.sessions
          ->SendVerificationCode(As("bob", kBobPassword).get(), send, &sent)
          .ok());
  const std::string code = testing::LastSentCode(outbox);
  ASSERT_EQ(code.size(), 6u);
  secrets_.push_back(code);
  v1::CreateAccessKeyResponse bobs_key;
  ASSERT_TRUE(
      env_.keys
          ->CreateAccessKey(As("bob", kBobPassword, code).get(), {}, &bobs_key)
          .ok());
  secrets_.push_back(bobs_key.secret_access_key());

  // An MFA device for alice: enrol, confirm, remove.
  v1::EnrollMfaDeviceResponse enrolled;
  ASSERT_TRUE(
      env_.users
          ->EnrollMfaDevice(As("alice", kAlicePassword).get(), {}, &enrolled)
          .ok());
  const std::string uri = enrolled.otpauth_uri();
  secrets_.push_back(uri.substr(uri.find("secret=") + 7, 32));
  testing::TotpDevice device(uri);
  const absl::Time now = absl::Now();
  v1::ConfirmMfaDeviceRequest confirm;
  confirm.set_first_code(device.CodeAt(now - absl::Seconds(30)));
  confirm.set_second_code(device.CodeAt(now));
  v1::ConfirmMfaDeviceResponse confirmed;
  ASSERT_TRUE(env_.users
                  ->ConfirmMfaDevice(As("alice", kAlicePassword).get(), confirm,
                                     &confirmed)
                  .ok());
  v1::DeleteMfaDeviceRequest drop_device;
  drop_device.set_user_name("alice");
  v1::DeleteMfaDeviceResponse dropped;
  ASSERT_TRUE(env_.users
                  ->DeleteMfaDevice(As("admin", kAdminPassword).get(),
                                    drop_device, &dropped)
                  .ok());

  // Failures, a lockout and its lifting, a password reset, a deletion.
  for (int i = 0; i < 5; ++i) {
    v1::ListAccessKeysResponse refused;
    EXPECT_FALSE(
        env_.keys
            ->ListAccessKeys(As("carol", "carols-guess-1").get(), {}, &refused)
            .ok());
  }
  secrets_.push_back("carols-guess-1");
  v1::UnlockUserRequest unlock;
  unlock.set_user_name("carol");
  v1::UnlockUserResponse unlocked;
  ASSERT_TRUE(
      env_.users
          ->UnlockUser(As("admin", kAdminPassword).get(), unlock, &unlocked)
          .ok());
  v1::SetPasswordRequest reset;
  reset.set_user_name("alice");
  reset.set_new_password("alice-new-password-2");
  secrets_.push_back("alice-new-password-2");
  v1::SetPasswordResponse was_reset;
  ASSERT_TRUE(
      env_.users
          ->SetPassword(As("admin", kAdminPassword).get(), reset, &was_reset)
          .ok());
  v1::ListAuditEventsResponse audit;
  ASSERT_TRUE(
      env_.audit->ListAuditEvents(As("admin", kAdminPassword).get(), {}, &audit)
          .ok());
  EXPECT_GT(audit.events_size(), 15);
  v1::DeleteUserRequest delete_bob;
  delete_bob.set_user_name("bob");
  v1::DeleteUserResponse deleted;
  ASSERT_TRUE(
      env_.users
          ->DeleteUser(As("admin", kAdminPassword).get(), delete_bob, &deleted)
          .ok());
  env_.Stop();

  std::vector<std::string> responses;
  int handed_out = 0;
  for (const auto& response : env_.responses()) {
    if (response.method == "/identity.v1.AccessKeyService/CreateAccessKey" ||
        response.method == "/identity.v1.SessionService/Login" ||
        response.method == "/identity.v1.UserService/EnrollMfaDevice") {
      ++handed_out;
      continue;
    }
    responses.push_back(response.bytes);
  }
  EXPECT_EQ(handed_out, 5);
  EXPECT_GE(responses.size(), 15u);  // every other successful call
  EXPECT_EQ(testing::CountSecretHits(responses, secrets_, "a response"), 0);
  EXPECT_EQ(testing::CountSecretHits({env_.ReadLog()}, secrets_, "the log"), 0);
  EXPECT_EQ(testing::CountSecretHits(
                testing::EverythingStored(env_.dir().Join("data")), secrets_,
                "the data directory"),
            0);
}

}  // namespace
}  // namespace identity::service
