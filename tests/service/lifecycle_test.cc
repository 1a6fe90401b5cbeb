// Key lifecycle, sessions and user management through the gRPC server
// in-process: every path issue 3 names.
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/crypto.h"
#include "gtest/gtest.h"
#include "storage/rocksdb_store.h"
#include "testing/fakes.h"
#include "testing/server_env.h"
#include "testing/store_options.h"

namespace identity::service {
namespace {

using testing::ErrorReason;
using testing::kAdminPassword;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";

// An authorization header value.
std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + absl::Base64Escape(user + ":" + password);
}
std::string Bearer(const std::string& token) { return "Bearer " + token; }

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.config().clock = &clock_;
    env_.Start();
    env_.CreateUser("alice", kAlicePassword);
  }

  template <typename Method, typename Request, typename Response>
  grpc::Status Call(const std::string& authorization, Method method,
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", authorization);
    return method(&context, request, response);
  }

  grpc::Status CreateKey(const std::string& auth, v1::AccessKey* key,
                         const std::string& user_name = "") {
    v1::CreateAccessKeyRequest request;
    request.set_user_name(user_name);
    v1::CreateAccessKeyResponse response;
    grpc::Status s = Call(
        auth,
        [&](auto* c, auto& r, auto* p) {
          return env_.keys->CreateAccessKey(c, r, p);
        },
        request, &response);
    if (key != nullptr) *key = response.access_key();
    return s;
  }

  std::vector<v1::AccessKey> ListKeys(const std::string& auth,
                                      const std::string& user_name = "",
                                      grpc::Status* status = nullptr) {
    v1::ListAccessKeysRequest request;
    request.set_user_name(user_name);
    v1::ListAccessKeysResponse response;
    grpc::Status s = Call(
        auth,
        [&](auto* c, auto& r, auto* p) {
          return env_.keys->ListAccessKeys(c, r, p);
        },
        request, &response);
    if (status != nullptr) *status = s;
    return {response.access_keys().begin(), response.access_keys().end()};
  }

  grpc::Status UpdateKey(const std::string& auth,
                         const v1::UpdateAccessKeyRequest& request,
                         v1::AccessKey* key = nullptr) {
    v1::UpdateAccessKeyResponse response;
    grpc::Status s = Call(
        auth,
        [&](auto* c, auto& r, auto* p) {
          return env_.keys->UpdateAccessKey(c, r, p);
        },
        request, &response);
    if (key != nullptr) *key = response.access_key();
    return s;
  }

  grpc::Status DeleteKey(const std::string& auth, const std::string& id) {
    v1::DeleteAccessKeyRequest request;
    request.set_access_key_id(id);
    v1::DeleteAccessKeyResponse response;
    return Call(
        auth,
        [&](auto* c, auto& r, auto* p) {
          return env_.keys->DeleteAccessKey(c, r, p);
        },
        request, &response);
  }

  std::string Login(const std::string& user, const std::string& password,
                    grpc::Status* status = nullptr) {
    v1::LoginResponse response;
    grpc::Status s = Call(
        Basic(user, password),
        [&](auto* c, auto& r, auto* p) {
          return env_.sessions->Login(c, r, p);
        },
        v1::LoginRequest(), &response);
    if (status != nullptr) *status = s;
    return response.session_token();
  }

  grpc::Status UpdateUser(const v1::UpdateUserRequest& request,
                          const std::string& auth = Basic("admin",
                                                          kAdminPassword)) {
    v1::UpdateUserResponse response;
    return Call(
        auth,
        [&](auto* c, auto& r, auto* p) {
          return env_.users->UpdateUser(c, r, p);
        },
        request, &response);
  }

  grpc::Status DeleteUser(const std::string& name,
                          const std::string& auth = Basic("admin",
                                                          kAdminPassword)) {
    v1::DeleteUserRequest request;
    request.set_user_name(name);
    v1::DeleteUserResponse response;
    return Call(
        auth,
        [&](auto* c, auto& r, auto* p) {
          return env_.users->DeleteUser(c, r, p);
        },
        request, &response);
  }

  grpc::Status SetPassword(const std::string& auth, const std::string& name,
                           const std::string& password) {
    v1::SetPasswordRequest request;
    request.set_user_name(name);
    request.set_new_password(password);
    v1::SetPasswordResponse response;
    return Call(
        auth,
        [&](auto* c, auto& r, auto* p) {
          return env_.users->SetPassword(c, r, p);
        },
        request, &response);
  }

  testing::FakeClock clock_;
  ServerEnv env_;
  const std::string alice_ = Basic("alice", kAlicePassword);
  const std::string admin_ = Basic("admin", kAdminPassword);
};

TEST_F(LifecycleTest, DeactivateThenReactivate) {
  v1::AccessKey key;
  ASSERT_TRUE(CreateKey(alice_, &key).ok());
  EXPECT_TRUE(key.usable());

  v1::UpdateAccessKeyRequest request;
  request.set_access_key_id(key.access_key_id());
  request.set_status(v1::AccessKey::INACTIVE);
  v1::AccessKey updated;
  ASSERT_TRUE(UpdateKey(alice_, request, &updated).ok());
  EXPECT_EQ(updated.status(), v1::AccessKey::INACTIVE);
  EXPECT_FALSE(updated.usable());
  EXPECT_EQ(ListKeys(alice_)[0].status(), v1::AccessKey::INACTIVE);

  request.set_status(v1::AccessKey::ACTIVE);
  ASSERT_TRUE(UpdateKey(alice_, request, &updated).ok());
  EXPECT_EQ(ListKeys(alice_)[0].status(), v1::AccessKey::ACTIVE);
  EXPECT_TRUE(ListKeys(alice_)[0].usable());

  // Only what the request sets changes.
  v1::UpdateAccessKeyRequest describe;
  describe.set_access_key_id(key.access_key_id());
  describe.set_description("rotated 2026-11");
  ASSERT_TRUE(UpdateKey(alice_, describe, &updated).ok());
  EXPECT_EQ(updated.description(), "rotated 2026-11");
  EXPECT_EQ(updated.status(), v1::AccessKey::ACTIVE);
}

TEST_F(LifecycleTest, UpdateRefusesBadRequests) {
  v1::AccessKey key;
  ASSERT_TRUE(CreateKey(alice_, &key).ok());
  v1::UpdateAccessKeyRequest request;
  request.set_access_key_id(key.access_key_id());
  EXPECT_EQ(UpdateKey(alice_, request).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // nothing to update
  request.set_status(v1::AccessKey::STATUS_UNSPECIFIED);
  grpc::Status s = UpdateKey(alice_, request);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "status:"));
  request.clear_status();
  request.set_description(std::string(300, 'd'));
  s = UpdateKey(alice_, request);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "description:"));
  request.set_description("fine");
  request.set_access_key_id("not-a-key");
  s = UpdateKey(alice_, request);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "access_key_id:"));
}

TEST_F(LifecycleTest, ExpiryAndScheduledDeactivationOverGrpc) {
  const std::string alice = Basic("alice", kAlicePassword);
  v1::CreateAccessKeyRequest create;
  create.mutable_expire_after()->set_seconds(3600);
  v1::CreateAccessKeyResponse created;
  ASSERT_TRUE(Call(
                  alice,
                  [&](auto* c, auto& r, auto* p) {
                    return env_.keys->CreateAccessKey(c, r, p);
                  },
                  create, &created)
                  .ok());
  EXPECT_EQ(created.access_key().expire_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()) + 3600);

  // Both forms at once, a bad duration, a past time: INVALID_ARGUMENT.
  std::vector<v1::CreateAccessKeyRequest> bad(3);
  bad[0].mutable_expire_after()->set_seconds(60);
  bad[0].mutable_expire_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()) +
                                            60);
  bad[1].mutable_expire_after()->set_seconds(1);
  bad[1].mutable_expire_after()->set_nanos(-1);
  bad[2].mutable_expire_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()));
  for (const v1::CreateAccessKeyRequest& request : bad) {
    v1::CreateAccessKeyResponse response;
    EXPECT_EQ(Call(
                  alice,
                  [&](auto* c, auto& r, auto* p) {
                    return env_.keys->CreateAccessKey(c, r, p);
                  },
                  request, &response)
                  .error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << request.DebugString();
  }

  v1::UpdateAccessKeyRequest schedule;
  schedule.set_access_key_id(created.access_key().access_key_id());
  schedule.mutable_deactivate_after()->set_seconds(600);
  v1::UpdateAccessKeyResponse scheduled;
  ASSERT_TRUE(Call(
                  alice,
                  [&](auto* c, auto& r, auto* p) {
                    return env_.keys->UpdateAccessKey(c, r, p);
                  },
                  schedule, &scheduled)
                  .ok());
  EXPECT_EQ(scheduled.access_key().deactivate_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()) + 600);
  EXPECT_TRUE(scheduled.access_key().usable());

  clock_.Advance(absl::Hours(1));
  v1::ListAccessKeysRequest list;
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(Call(
                  alice,
                  [&](auto* c, auto& r, auto* p) {
                    return env_.keys->ListAccessKeys(c, r, p);
                  },
                  list, &listed)
                  .ok());
  ASSERT_EQ(listed.access_keys_size(), 1);
  EXPECT_TRUE(listed.access_keys(0).expired());
  EXPECT_FALSE(listed.access_keys(0).usable());
}

TEST_F(LifecycleTest, CredentialReportIsForAdminsOnly) {
  v1::AccessKey key;
  ASSERT_TRUE(CreateKey(Basic("alice", kAlicePassword), &key).ok());
  v1::GetCredentialReportRequest request;
  v1::GetCredentialReportResponse report;
  EXPECT_EQ(Call(
                Basic("alice", kAlicePassword),
                [&](auto* c, auto& r, auto* p) {
                  return env_.keys->GetCredentialReport(c, r, p);
                },
                request, &report)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Call(
                  Basic("admin", testing::kAdminPassword),
                  [&](auto* c, auto& r, auto* p) {
                    return env_.keys->GetCredentialReport(c, r, p);
                  },
                  request, &report)
                  .ok());
  ASSERT_EQ(report.rows_size(), 2);  // admin (no key), alice (one)
  const v1::CredentialReportRow& alice =
      report.rows(0).user_name() == "alice" ? report.rows(0) : report.rows(1);
  EXPECT_EQ(alice.access_key_id(), key.access_key_id());
  EXPECT_TRUE(alice.usable());
  EXPECT_EQ(alice.key_age().seconds(), 0);
  EXPECT_EQ(report.generate_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()));
  EXPECT_TRUE(report.next_page_token().empty());
}

TEST_F(LifecycleTest, InactiveKeysCountAndDeleteFreesASlot) {
  v1::AccessKey first, second;
  ASSERT_TRUE(CreateKey(alice_, &first).ok());
  ASSERT_TRUE(CreateKey(alice_, &second).ok());
  v1::UpdateAccessKeyRequest request;
  request.set_access_key_id(first.access_key_id());
  request.set_status(v1::AccessKey::INACTIVE);
  ASSERT_TRUE(UpdateKey(alice_, request).ok());
  grpc::Status third = CreateKey(alice_, nullptr);
  EXPECT_EQ(ErrorReason(third), "ACCESS_KEY_LIMIT_EXCEEDED");

  ASSERT_TRUE(DeleteKey(alice_, first.access_key_id()).ok());
  EXPECT_EQ(ListKeys(alice_).size(), 1u);
  EXPECT_TRUE(CreateKey(alice_, nullptr).ok());
  EXPECT_EQ(DeleteKey(alice_, first.access_key_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(LifecycleTest, OthersKeysAreNotFoundButAdminsReachThem) {
  env_.CreateUser("bob", "bob-password-1");
  v1::AccessKey bobs;
  ASSERT_TRUE(CreateKey(Basic("bob", "bob-password-1"), &bobs).ok());
  EXPECT_EQ(DeleteKey(alice_, bobs.access_key_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::UpdateAccessKeyRequest request;
  request.set_access_key_id(bobs.access_key_id());
  request.set_description("mine now");
  EXPECT_EQ(UpdateKey(alice_, request).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(UpdateKey(admin_, request).ok());
  EXPECT_TRUE(DeleteKey(admin_, bobs.access_key_id()).ok());
  EXPECT_TRUE(ListKeys(admin_, "bob").empty());
}

TEST_F(LifecycleTest, DeletesAndCreatesRacingNeverExceedTheLimit) {
  const std::string token = Login("alice", kAlicePassword);
  std::atomic<bool> over_limit{false};
  std::atomic<int> created{0}, deleted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        if ((t + i) % 2 == 0) {
          if (CreateKey(alice_, nullptr).ok()) ++created;
        } else {
          std::vector<v1::AccessKey> keys = ListKeys(Bearer(token));
          if (!keys.empty() &&
              DeleteKey(Bearer(token), keys[0].access_key_id()).ok()) {
            ++deleted;
          }
        }
        if (ListKeys(Bearer(token)).size() > 2) over_limit = true;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_FALSE(over_limit.load());
  EXPECT_GT(created.load(), 2);  // slots were really freed and reused
  EXPECT_EQ(static_cast<int>(ListKeys(Bearer(token)).size()),
            created.load() - deleted.load());
}

TEST_F(LifecycleTest, AdminPagesAllKeysEachOnceWhileKeysAreAdded) {
  std::set<std::string> before;
  for (int u = 0; u < 4; ++u) {
    const std::string name = absl::StrCat("pager", u);
    env_.CreateUser(name, "pager-password");
    for (int k = 0; k < 2; ++k) {
      v1::AccessKey key;
      ASSERT_TRUE(CreateKey(admin_, &key, name).ok());
      before.insert(key.access_key_id());
    }
  }
  std::atomic<bool> stop{false};
  std::thread adder([&] {
    for (int k = 0; k < 2 && !stop; ++k)
      CreateKey(alice_, nullptr).IgnoreError();
  });
  std::multiset<std::string> seen;
  v1::ListAccessKeysRequest request;
  request.set_all_users(true);
  request.set_page_size(3);
  int pages = 0;
  while (true) {
    v1::ListAccessKeysResponse response;
    ASSERT_TRUE(Call(
                    admin_,
                    [&](auto* c, auto& r, auto* p) {
                      return env_.keys->ListAccessKeys(c, r, p);
                    },
                    request, &response)
                    .ok());
    ++pages;
    for (const v1::AccessKey& key : response.access_keys()) {
      seen.insert(key.access_key_id());
      EXPECT_FALSE(key.user_name().empty());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  stop = true;
  adder.join();
  EXPECT_GE(pages, 3);
  for (const std::string& id : before) EXPECT_EQ(seen.count(id), 1u) << id;
  for (const std::string& id : seen) EXPECT_EQ(seen.count(id), 1u) << id;

  // Users cannot list everyone's keys; bad tokens are refused.
  request.set_page_token("");
  v1::ListAccessKeysResponse response;
  EXPECT_EQ(Call(
                alice_,
                [&](auto* c, auto& r, auto* p) {
                  return env_.keys->ListAccessKeys(c, r, p);
                },
                request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_page_token("!!garbage!!");
  EXPECT_EQ(Call(
                admin_,
                [&](auto* c, auto& r, auto* p) {
                  return env_.keys->ListAccessKeys(c, r, p);
                },
                request, &response)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LifecycleTest, LoginBearerAndLogout) {
  grpc::Status status;
  const std::string token = Login("alice", kAlicePassword, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(token, "idt_"));
  EXPECT_EQ(token.size(), 4u + 43u);
  EXPECT_TRUE(ListKeys(Bearer(token), "", &status).empty());
  EXPECT_TRUE(status.ok());

  // Login itself needs the password.
  v1::LoginResponse again;
  EXPECT_EQ(Call(
                Bearer(token),
                [&](auto* c, auto& r, auto* p) {
                  return env_.sessions->Login(c, r, p);
                },
                v1::LoginRequest(), &again)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Logout with Basic has no session to end.
  v1::LogoutResponse out;
  EXPECT_EQ(Call(
                alice_,
                [&](auto* c, auto& r, auto* p) {
                  return env_.sessions->Logout(c, r, p);
                },
                v1::LogoutRequest(), &out)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Call(
                  Bearer(token),
                  [&](auto* c, auto& r, auto* p) {
                    return env_.sessions->Logout(c, r, p);
                  },
                  v1::LogoutRequest(), &out)
                  .ok());
  ListKeys(Bearer(token), "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ListKeys(Bearer("idt_forged"), "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Login("alice", "wrong-password", &status).empty());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(LifecycleTest, TokensExpireWithTheClock) {
  const std::string token = Login("alice", kAlicePassword);
  grpc::Status status;
  clock_.Advance(absl::Minutes(59));
  ListKeys(Bearer(token), "", &status);
  EXPECT_TRUE(status.ok());
  clock_.Advance(absl::Minutes(2));
  ListKeys(Bearer(token), "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(LifecycleTest, SessionsSurviveARestartAndExpiredOnesArePurged) {
  const std::string live = Login("alice", kAlicePassword);
  clock_.Advance(absl::Minutes(30));
  const std::string fresh = Login("alice", kAlicePassword);
  env_.Restart();
  grpc::Status status;
  ListKeys(Bearer(live), "", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();

  clock_.Advance(absl::Minutes(45));  // `live` expired, `fresh` not
  env_.Restart();                     // purges at start
  env_.Stop();
  auto store = storage::OpenRocksDbStore(
                   testing::StoreOptions(env_.config().data_dir, false))
                   .value();
  EXPECT_TRUE(
      absl::IsNotFound(store->GetSession(crypto::Sha256(live)).status()));
  EXPECT_TRUE(store->GetSession(crypto::Sha256(fresh)).ok());
  // Only hashes are stored: the token itself appears nowhere.
  EXPECT_TRUE(absl::IsNotFound(store->GetSession(fresh).status()));
}

TEST_F(LifecycleTest, ADisabledUsersCredentialsAllFailAndKeysAreUnusable) {
  v1::AccessKey key;
  ASSERT_TRUE(CreateKey(alice_, &key).ok());
  const std::string token = Login("alice", kAlicePassword);
  v1::UpdateUserRequest disable;
  disable.set_user_name("alice");
  disable.set_enabled(false);
  ASSERT_TRUE(UpdateUser(disable).ok());

  grpc::Status status;
  ListKeys(alice_, "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ListKeys(Bearer(token), "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::vector<v1::AccessKey> keys = ListKeys(admin_, "alice");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].status(), v1::AccessKey::ACTIVE);
  EXPECT_FALSE(keys[0].usable());

  disable.set_enabled(true);
  ASSERT_TRUE(UpdateUser(disable).ok());
  ListKeys(alice_, "", &status);
  EXPECT_TRUE(status.ok());
  ListKeys(Bearer(token), "", &status);  // disabling ended the session
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ListKeys(admin_, "alice")[0].usable());
}

TEST_F(LifecycleTest, TheLastAdminCannotBeDeletedDemotedOrDisabled) {
  grpc::Status s = DeleteUser("admin");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::UpdateUserRequest demote;
  demote.set_user_name("admin");
  demote.set_role(v1::User::USER);
  EXPECT_EQ(UpdateUser(demote).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::UpdateUserRequest disable;
  disable.set_user_name("admin");
  disable.set_enabled(false);
  EXPECT_EQ(UpdateUser(disable).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::UpdateUserRequest promote;
  promote.set_user_name("alice");
  promote.set_role(v1::User::ADMIN);
  ASSERT_TRUE(UpdateUser(promote).ok());
  EXPECT_TRUE(DeleteUser("admin", alice_).ok());
  EXPECT_EQ(DeleteUser("alice", alice_).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(LifecycleTest, OnlyAdminsManageUsers) {
  v1::UpdateUserRequest update;
  update.set_user_name("alice");
  update.set_display_name("Alice");
  EXPECT_EQ(UpdateUser(update, alice_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(DeleteUser("admin", alice_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListUsersResponse users;
  EXPECT_EQ(Call(
                alice_,
                [&](auto* c, auto& r, auto* p) {
                  return env_.users->ListUsers(c, r, p);
                },
                v1::ListUsersRequest(), &users)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(SetPassword(alice_, "admin", "hijacked-password").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(LifecycleTest, UpdateUserValidatesAndUnbinds) {
  v1::UpdateUserRequest update;
  update.set_user_name("alice");
  update.set_email("alice@example.com");
  update.set_mobile("+14155550123");
  ASSERT_TRUE(UpdateUser(update).ok());
  update.set_email("not an email");
  grpc::Status s = UpdateUser(update);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "email:"));
  update.clear_email();
  update.set_mobile("555");
  s = UpdateUser(update);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "mobile:"));
  update.set_mobile("");
  ASSERT_TRUE(UpdateUser(update).ok());
  v1::GetUserRequest get;
  get.set_user_name("alice");
  v1::GetUserResponse got;
  ASSERT_TRUE(Call(
                  admin_,
                  [&](auto* c, auto& r, auto* p) {
                    return env_.users->GetUser(c, r, p);
                  },
                  get, &got)
                  .ok());
  EXPECT_EQ(got.user().email(), "alice@example.com");
  EXPECT_EQ(got.user().mobile(), "");
  v1::UpdateUserRequest role;
  role.set_user_name("alice");
  role.set_role(v1::User::ROLE_UNSPECIFIED);
  EXPECT_EQ(UpdateUser(role).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::UpdateUserRequest missing;
  missing.set_user_name("nobody");
  missing.set_display_name("x");
  EXPECT_EQ(UpdateUser(missing).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LifecycleTest, DeleteUserTakesKeysAndSessions) {
  v1::AccessKey key;
  ASSERT_TRUE(CreateKey(alice_, &key).ok());
  const std::string token = Login("alice", kAlicePassword);
  ASSERT_TRUE(DeleteUser("alice").ok());
  grpc::Status status;
  ListKeys(Bearer(token), "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(DeleteKey(admin_, key.access_key_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DeleteUser("alice").error_code(), grpc::StatusCode::NOT_FOUND);
  env_.CreateUser("alice", "a-new-password");  // the name is free again
  EXPECT_TRUE(ListKeys(Basic("alice", "a-new-password")).empty());
}

TEST_F(LifecycleTest, SetPasswordResetsAndEndsSessions) {
  const std::string token = Login("alice", kAlicePassword);
  // A session cannot change its own password; the current password can.
  EXPECT_EQ(SetPassword(Bearer(token), "", "another-password").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status s = SetPassword(alice_, "", "short");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "new_password:"));
  EXPECT_EQ(SetPassword(alice_, "", "Alice").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(SetPassword(alice_, "", "alice-password-2").ok());

  grpc::Status status;
  ListKeys(Bearer(token), "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ListKeys(alice_, "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // An admin reset needs the admin's password on the call (a stolen admin
  // session must not take accounts over), and ends alice's sessions.
  const std::string alice_token = Login("alice", "alice-password-2");
  const std::string admin_token = Login("admin", kAdminPassword);
  grpc::Status by_session =
      SetPassword(Bearer(admin_token), "alice", "alice-password-3");
  EXPECT_EQ(by_session.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(by_session), "PASSWORD_REQUIRED");
  ASSERT_TRUE(SetPassword(admin_, "alice", "alice-password-3").ok());
  ListKeys(Bearer(alice_token), "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ListKeys(Basic("alice", "alice-password-3"), "", &status);
  EXPECT_TRUE(status.ok());
}

TEST_F(LifecycleTest, ListUsersPagesEachOnceWhileUsersAreAdded) {
  std::set<std::string> before = {"admin", "alice"};
  for (int i = 0; i < 5; ++i) {
    const std::string name = absl::StrCat("user", i);
    env_.CreateUser(name, "user-password");
    before.insert(name);
  }
  std::thread adder([&] { env_.CreateUser("zz-late", "user-password"); });
  std::multiset<std::string> seen;
  v1::ListUsersRequest request;
  request.set_page_size(2);
  while (true) {
    v1::ListUsersResponse response;
    ASSERT_TRUE(Call(
                    admin_,
                    [&](auto* c, auto& r, auto* p) {
                      return env_.users->ListUsers(c, r, p);
                    },
                    request, &response)
                    .ok());
    for (const v1::User& user : response.users()) {
      seen.insert(user.user_name());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  adder.join();
  for (const std::string& name : before) EXPECT_EQ(seen.count(name), 1u);
  for (const std::string& name : seen) EXPECT_EQ(seen.count(name), 1u);
}

TEST_F(LifecycleTest, RepeatedFailuresLockTheNameUntilUnlocked) {
  // Every failure here comes from one address: with the name's ceiling at
  // the pair's threshold, the fifth locks the name itself, in the store.
  env_.config().lockout.max_failures_per_name = 5;
  env_.Restart();
  grpc::Status status;
  for (int i = 0; i < 5; ++i) {
    ListKeys(Basic("alice", "wrong-password"), "", &status);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    ASSERT_FALSE(ErrorReason(status).has_value());
  }
  ListKeys(alice_, "", &status);  // the right password, but locked
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorReason(status), "TOO_MANY_ATTEMPTS");

  env_.Restart();  // the lock is in the store
  ListKeys(alice_, "", &status);
  EXPECT_EQ(ErrorReason(status), "TOO_MANY_ATTEMPTS");

  v1::UnlockUserRequest unlock;
  unlock.set_user_name("alice");
  v1::UnlockUserResponse unlocked;
  EXPECT_EQ(Call(
                alice_,
                [&](auto* c, auto& r, auto* p) {
                  return env_.users->UnlockUser(c, r, p);
                },
                unlock, &unlocked)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);  // still locked out
  ASSERT_TRUE(Call(
                  admin_,
                  [&](auto* c, auto& r, auto* p) {
                    return env_.users->UnlockUser(c, r, p);
                  },
                  unlock, &unlocked)
                  .ok());
  ListKeys(alice_, "", &status);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace identity::service
