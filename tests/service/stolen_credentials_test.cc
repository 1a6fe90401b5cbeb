// What a stolen password or a stolen admin session can still do, through
// gRPC: with a channel bound, a password alone does nothing but ask for a
// code; an admin session cannot create admins or take accounts over.
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/identity_server.h"
#include "testing/server_env.h"

namespace identity::service {
namespace {

using testing::ErrorReason;
using testing::kAdminPassword;
using testing::LastSentCode;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";
constexpr char kBobPassword[] = "bob-password-11";

struct NamedCall {
  const char* method;
  std::function<grpc::Status(grpc::ClientContext*)> call;
};

class StolenCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.config().notify_outbox_file = outbox();
    env_.Start();
    env_.CreateUser("alice", kAlicePassword);
    env_.CreateUser("bob", kBobPassword);
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::UpdateUserRequest request;
    request.set_user_name("alice");
    request.set_email("alice@example.com");
    v1::UpdateUserResponse response;
    ASSERT_TRUE(env_.users->UpdateUser(&context, request, &response).ok());
  }

  std::string outbox() { return env_.dir().Join("outbox.jsonl"); }

  // Every method of the API, each with a request that would succeed (or
  // fail for its own reasons) once the credentials are good enough.
  std::vector<NamedCall> EveryMethod() {
    auto& keys = *env_.keys;
    auto& sessions = *env_.sessions;
    auto& users = *env_.users;
    auto& audit = *env_.audit;
    return {
        {"CreateAccessKey",
         [&](auto* c) {
           v1::CreateAccessKeyResponse r;
           return keys.CreateAccessKey(c, {}, &r);
         }},
        {"ListAccessKeys",
         [&](auto* c) {
           v1::ListAccessKeysResponse r;
           return keys.ListAccessKeys(c, {}, &r);
         }},
        {"UpdateAccessKey",
         [&](auto* c) {
           v1::UpdateAccessKeyRequest q;
           q.set_access_key_id("AKIDNOTAREALKEY00000");
           q.set_status(v1::AccessKey::INACTIVE);
           v1::UpdateAccessKeyResponse r;
           return keys.UpdateAccessKey(c, q, &r);
         }},
        {"DeleteAccessKey",
         [&](auto* c) {
           v1::DeleteAccessKeyRequest q;
           q.set_access_key_id("AKIDNOTAREALKEY00000");
           v1::DeleteAccessKeyResponse r;
           return keys.DeleteAccessKey(c, q, &r);
         }},
        {"Login",
         [&](auto* c) {
           v1::LoginResponse r;
           return sessions.Login(c, {}, &r);
         }},
        {"Logout",
         [&](auto* c) {
           v1::LogoutResponse r;
           return sessions.Logout(c, {}, &r);
         }},
        {"GetUser",
         [&](auto* c) {
           v1::GetUserResponse r;
           return users.GetUser(c, {}, &r);
         }},
        {"ListUsers",
         [&](auto* c) {
           v1::ListUsersResponse r;
           return users.ListUsers(c, {}, &r);
         }},
        {"UpdateUser",
         [&](auto* c) {
           v1::UpdateUserRequest q;
           q.set_user_name("alice");
           q.set_display_name("pwned");
           v1::UpdateUserResponse r;
           return users.UpdateUser(c, q, &r);
         }},
        {"DeleteUser",
         [&](auto* c) {
           v1::DeleteUserRequest q;
           q.set_user_name("bob");
           v1::DeleteUserResponse r;
           return users.DeleteUser(c, q, &r);
         }},
        {"SetPassword",
         [&](auto* c) {
           v1::SetPasswordRequest q;
           q.set_new_password("attacker-password-1");
           v1::SetPasswordResponse r;
           return users.SetPassword(c, q, &r);
         }},
        {"UnlockUser",
         [&](auto* c) {
           v1::UnlockUserRequest q;
           q.set_user_name("bob");
           v1::UnlockUserResponse r;
           return users.UnlockUser(c, q, &r);
         }},
        {"EnrollMfaDevice",
         [&](auto* c) {
           v1::EnrollMfaDeviceResponse r;
           return users.EnrollMfaDevice(c, {}, &r);
         }},
        {"ConfirmMfaDevice",
         [&](auto* c) {
           v1::ConfirmMfaDeviceRequest q;
           q.set_first_code("123456");
           q.set_second_code("654321");
           v1::ConfirmMfaDeviceResponse r;
           return users.ConfirmMfaDevice(c, q, &r);
         }},
        {"DeleteMfaDevice",
         [&](auto* c) {
           v1::DeleteMfaDeviceResponse r;
           return users.DeleteMfaDevice(c, {}, &r);
         }},
        {"ListAuditEvents",
         [&](auto* c) {
           v1::ListAuditEventsResponse r;
           return audit.ListAuditEvents(c, {}, &r);
         }},
    };
  }

  std::string LoginAsAdmin() {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::LoginResponse response;
    EXPECT_TRUE(env_.sessions->Login(&context, {}, &response).ok());
    return response.session_token();
  }

  ServerEnv env_;
};

TEST_F(StolenCredentialsTest, APasswordAloneOnlyAsksForTheCodeWhereOneIsBound) {
  for (const NamedCall& named : EveryMethod()) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", kAlicePassword);
    grpc::Status status = named.call(&context);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << named.method;
    EXPECT_EQ(ErrorReason(status), "VERIFICATION_CODE_REQUIRED")
        << named.method;
  }
  // Nothing changed: the password, the name, the keys.
  grpc::ClientContext admin;
  ServerEnv::SetBasic(admin, "admin", kAdminPassword);
  v1::GetUserRequest get;
  get.set_user_name("alice");
  v1::GetUserResponse user;
  ASSERT_TRUE(env_.users->GetUser(&admin, get, &user).ok());
  EXPECT_EQ(user.user().display_name(), "");
  EXPECT_EQ(user.user().email(), "alice@example.com");  // admin view
  // The one exception: sending the code, which is how it is obtained.
  grpc::ClientContext send;
  ServerEnv::SetBasic(send, "alice", kAlicePassword);
  v1::SendVerificationCodeRequest request;
  request.set_channel(v1::SendVerificationCodeRequest::EMAIL);
  v1::SendVerificationCodeResponse sent;
  EXPECT_TRUE(env_.sessions->SendVerificationCode(&send, request, &sent).ok());
  // With the code, the password works (here: reading her own record).
  grpc::ClientContext with_code;
  ServerEnv::SetBasic(with_code, "alice", kAlicePassword);
  with_code.AddMetadata("x-verification-code", LastSentCode(outbox()));
  EXPECT_TRUE(env_.users->GetUser(&with_code, {}, &user).ok());
}

TEST_F(StolenCredentialsTest,
       AnAdminSessionCannotMakeAdminsOrTakeAccountsOver) {
  const std::string token = LoginAsAdmin();
  auto with_session = [&](grpc::ClientContext& context) {
    context.AddMetadata("authorization", "Bearer " + token);
  };
  std::vector<NamedCall> takeovers = {
      {"CreateUser(role=ADMIN)",
       [&](auto* c) {
         v1::CreateUserRequest q;
         q.set_user_name("mallory");
         q.set_password("mallory-password-1");
         q.set_role(v1::User::ADMIN);
         v1::CreateUserResponse r;
         return env_.users->CreateUser(c, q, &r);
       }},
      {"UpdateUser(role=ADMIN)",
       [&](auto* c) {
         v1::UpdateUserRequest q;
         q.set_user_name("bob");
         q.set_role(v1::User::ADMIN);
         v1::UpdateUserResponse r;
         return env_.users->UpdateUser(c, q, &r);
       }},
      {"UpdateUser(email)",
       [&](auto* c) {
         v1::UpdateUserRequest q;
         q.set_user_name("alice");
         q.set_email("mallory@example.com");
         v1::UpdateUserResponse r;
         return env_.users->UpdateUser(c, q, &r);
       }},
      {"SetPassword(alice)",
       [&](auto* c) {
         v1::SetPasswordRequest q;
         q.set_user_name("alice");
         q.set_new_password("mallory-password-1");
         v1::SetPasswordResponse r;
         return env_.users->SetPassword(c, q, &r);
       }},
      {"DeleteUser(bob)",
       [&](auto* c) {
         v1::DeleteUserRequest q;
         q.set_user_name("bob");
         v1::DeleteUserResponse r;
         return env_.users->DeleteUser(c, q, &r);
       }},
      {"DeleteMfaDevice(alice)",
       [&](auto* c) {
         v1::DeleteMfaDeviceRequest q;
         q.set_user_name("alice");
         v1::DeleteMfaDeviceResponse r;
         return env_.users->DeleteMfaDevice(c, q, &r);
       }},
      {"CreateAccessKey(alice)",
       [&](auto* c) {
         v1::CreateAccessKeyRequest q;
         q.set_user_name("alice");
         v1::CreateAccessKeyResponse r;
         return env_.keys->CreateAccessKey(c, q, &r);
       }},
  };
  for (const NamedCall& named : takeovers) {
    grpc::ClientContext context;
    with_session(context);
    grpc::Status status = named.call(&context);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << named.method << ": " << status.error_message();
  }
  // None of it happened.
  grpc::ClientContext admin;
  ServerEnv::SetBasic(admin, "admin", kAdminPassword);
  v1::ListUsersResponse listed;
  ASSERT_TRUE(env_.users->ListUsers(&admin, {}, &listed).ok());
  ASSERT_EQ(listed.users_size(), 3);
  for (const v1::User& user : listed.users()) {
    if (user.user_name() != "admin") {
      EXPECT_EQ(user.role(), v1::User::USER) << user.user_name();
    }
    if (user.user_name() == "alice") {
      EXPECT_EQ(user.email(), "alice@example.com");
    }
  }
  grpc::ClientContext alice_login;
  ServerEnv::SetBasic(alice_login, "alice", kAlicePassword);
  v1::LoginResponse login;
  EXPECT_EQ(ErrorReason(env_.sessions->Login(&alice_login, {}, &login)),
            "VERIFICATION_CODE_REQUIRED");  // her password still works

  // What defends or is harmless stays cheap with a session: disabling a
  // user, unlocking one, creating a plain user.
  grpc::ClientContext disable;
  with_session(disable);
  v1::UpdateUserRequest q;
  q.set_user_name("bob");
  q.set_enabled(false);
  v1::UpdateUserResponse r;
  EXPECT_TRUE(env_.users->UpdateUser(&disable, q, &r).ok());
  grpc::ClientContext create;
  with_session(create);
  v1::CreateUserRequest plain;
  plain.set_user_name("carol");
  plain.set_password("carol-password-1");
  v1::CreateUserResponse created;
  EXPECT_TRUE(env_.users->CreateUser(&create, plain, &created).ok());
  // And with the password on the call, the admin can do it all.
  grpc::ClientContext promote;
  ServerEnv::SetBasic(promote, "admin", kAdminPassword);
  v1::UpdateUserRequest role;
  role.set_user_name("carol");
  role.set_role(v1::User::ADMIN);
  EXPECT_TRUE(env_.users->UpdateUser(&promote, role, &r).ok());
}

}  // namespace
}  // namespace identity::service
