// The gRPC server in-process on 127.0.0.1:0: every path of CreateAccessKey,
// ListAccessKeys, CreateUser and GetUser as a client sees it.
#include "service/identity_server.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/rocksdb_store.h"
#include "testing/secret_scan.h"
#include "testing/server_env.h"

namespace identity::service {
namespace {

using testing::ErrorReason;
using testing::EverythingStored;
using testing::kAdminPassword;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";
constexpr char kBobPassword[] = "bob-password-1";

class IdentityServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Start();
    env_.CreateUser("alice", kAlicePassword);
  }

  grpc::Status CreateKey(const std::string& caller, const std::string& password,
                         const std::string& user_name,
                         const std::string& description,
                         v1::CreateAccessKeyResponse* response) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, caller, password);
    v1::CreateAccessKeyRequest request;
    request.set_user_name(user_name);
    request.set_description(description);
    return env_.keys->CreateAccessKey(&context, request, response);
  }

  grpc::Status ListKeys(const std::string& caller, const std::string& password,
                        const std::string& user_name,
                        v1::ListAccessKeysResponse* response) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, caller, password);
    v1::ListAccessKeysRequest request;
    request.set_user_name(user_name);
    return env_.keys->ListAccessKeys(&context, request, response);
  }

  ServerEnv env_;
};

TEST_F(IdentityServerTest, CreateAccessKey_ReturnsKeyAndSecretOnce) {
  v1::CreateAccessKeyResponse created;
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "", "laptop", &created).ok());
  const v1::AccessKey& key = created.access_key();
  EXPECT_EQ(key.access_key_id().size(), 20u);
  EXPECT_EQ(key.access_key_id().find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            std::string::npos);
  EXPECT_EQ(key.user_name(), "alice");
  EXPECT_EQ(key.status(), v1::AccessKey::ACTIVE);
  EXPECT_EQ(key.description(), "laptop");
  EXPECT_GT(key.create_time().seconds(), 1700000000);
  EXPECT_FALSE(key.has_last_used_time());
  EXPECT_EQ(created.secret_access_key().size(), 40u);
}

TEST_F(IdentityServerTest, CreateAccessKey_ThirdKeyFailsWithLimitExceeded) {
  v1::CreateAccessKeyResponse response;
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "", "1", &response).ok());
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "", "2", &response).ok());
  grpc::Status third = CreateKey("alice", kAlicePassword, "", "3", &response);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorReason(third), "ACCESS_KEY_LIMIT_EXCEEDED");
  EXPECT_TRUE(absl::StrContains(third.error_message(), "delete one"));
}

TEST_F(IdentityServerTest, CreateAccessKey_32ConcurrentCallersGetExactlyTwo) {
  std::atomic<int> ok{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      v1::CreateAccessKeyResponse response;
      grpc::Status s =
          CreateKey("alice", kAlicePassword, "", "race", &response);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                 ErrorReason(s) == "ACCESS_KEY_LIMIT_EXCEEDED") {
        ++limited;
      } else {
        ++other;
        ADD_FAILURE() << s.error_code() << " " << s.error_message();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(limited.load(), 30);
  EXPECT_EQ(other.load(), 0);
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(ListKeys("alice", kAlicePassword, "", &listed).ok());
  EXPECT_EQ(listed.access_keys_size(), 2);
}

TEST_F(IdentityServerTest, ListAccessKeys_NeverCarriesTheSecret) {
  v1::CreateAccessKeyResponse a, b;
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "", "a", &a).ok());
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "", "b", &b).ok());
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(ListKeys("alice", kAlicePassword, "", &listed).ok());
  ASSERT_EQ(listed.access_keys_size(), 2);
  EXPECT_EQ(listed.access_keys(0).access_key_id(),
            a.access_key().access_key_id());
  EXPECT_EQ(listed.access_keys(1).access_key_id(),
            b.access_key().access_key_id());
  const std::string wire = listed.SerializeAsString();
  EXPECT_FALSE(absl::StrContains(wire, a.secret_access_key()));
  EXPECT_FALSE(absl::StrContains(wire, b.secret_access_key()));
}

TEST_F(IdentityServerTest, ListAccessKeys_AdminSeesAnyoneUserOnlyThemselves) {
  env_.CreateUser("bob", kBobPassword);
  v1::CreateAccessKeyResponse created;
  ASSERT_TRUE(CreateKey("bob", kBobPassword, "", "bob's", &created).ok());

  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(ListKeys("admin", kAdminPassword, "bob", &listed).ok());
  ASSERT_EQ(listed.access_keys_size(), 1);
  EXPECT_EQ(listed.access_keys(0).user_name(), "bob");

  grpc::Status denied = ListKeys("alice", kAlicePassword, "bob", &listed);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  denied = CreateKey("alice", kAlicePassword, "bob", "", &created);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // An admin can create a key for a user too.
  ASSERT_TRUE(
      CreateKey("admin", kAdminPassword, "alice", "issued", &created).ok());
  EXPECT_EQ(created.access_key().user_name(), "alice");
  grpc::Status missing = ListKeys("admin", kAdminPassword, "nobody", &listed);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(IdentityServerTest, KeysAndLimitSurviveARestart) {
  v1::CreateAccessKeyResponse a, b;
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "", "a", &a).ok());
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "", "b", &b).ok());
  env_.Restart();
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(ListKeys("alice", kAlicePassword, "", &listed).ok());
  std::set<std::string> ids;
  for (const v1::AccessKey& key : listed.access_keys()) {
    ids.insert(key.access_key_id());
  }
  EXPECT_EQ(ids, (std::set<std::string>{a.access_key().access_key_id(),
                                        b.access_key().access_key_id()}));
  v1::CreateAccessKeyResponse third;
  EXPECT_EQ(CreateKey("alice", kAlicePassword, "", "c", &third).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The bootstrap admin is not created twice, and keeps its password.
  ASSERT_TRUE(ListKeys("admin", kAdminPassword, "alice", &listed).ok());
}

TEST_F(IdentityServerTest, WrongPasswordAndUnknownUserAnswerTheSame) {
  v1::ListAccessKeysResponse listed;
  grpc::Status wrong = ListKeys("alice", "not-her-password", "", &listed);
  grpc::Status unknown = ListKeys("mallory", "not-her-password", "", &listed);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), unknown.error_message());
  v1::CreateAccessKeyResponse created;
  EXPECT_EQ(CreateKey("alice", "nope-nope", "", "", &created).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IdentityServerTest, MissingOrMalformedCredentialsAreUnauthenticated) {
  v1::ListAccessKeysRequest request;
  v1::ListAccessKeysResponse response;
  {
    grpc::ClientContext context;  // no metadata at all
    EXPECT_EQ(
        env_.keys->ListAccessKeys(&context, request, &response).error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
  }
  for (const char* header :
       {"Basic", "Basic !!!!", "Basic YWxpY2U=" /* no colon */, "Digest abc",
        "Bearer"}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", header);
    grpc::Status s = env_.keys->ListAccessKeys(&context, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << header;
  }
}

TEST_F(IdentityServerTest, CreateAccessKey_RequiresThePasswordNotASession) {
  std::string token;
  {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", kAlicePassword);
    v1::LoginResponse login;
    ASSERT_TRUE(env_.sessions->Login(&context, {}, &login).ok());
    token = login.session_token();
  }
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  v1::CreateAccessKeyRequest request;
  v1::CreateAccessKeyResponse response;
  grpc::Status s = env_.keys->CreateAccessKey(&context, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "requires the password"));
}

TEST_F(IdentityServerTest, BadInputIsInvalidArgumentNamingTheField) {
  v1::CreateAccessKeyResponse created;
  struct Case {
    std::string description;
    std::string field;
  };
  for (const Case& c :
       {Case{std::string(256, 'x'), "description"},
        Case{"tab\there", "description"}, Case{"bell\a", "description"}}) {
    grpc::Status s =
        CreateKey("alice", kAlicePassword, "", c.description, &created);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StartsWith(s.error_message(), c.field + ":"))
        << s.error_message();
  }
  grpc::Status s =
      CreateKey("admin", kAdminPassword, "no spaces allowed", "", &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(), "user_name:"));

  struct UserCase {
    v1::CreateUserRequest request;
    std::string field;
  };
  std::vector<UserCase> user_cases(6);
  for (UserCase& c : user_cases) {
    c.request.set_user_name("carol");
    c.request.set_password("carol-password");
  }
  user_cases[0].request.set_user_name("");
  user_cases[0].field = "user_name";
  user_cases[1].request.set_user_name(std::string(65, 'c'));
  user_cases[1].field = "user_name";
  user_cases[2].request.set_password("short");
  user_cases[2].field = "password";
  user_cases[3].request.set_email("carol-at-example");
  user_cases[3].field = "email";
  user_cases[4].request.set_mobile("13800000000");
  user_cases[4].field = "mobile";
  user_cases[5].request.set_password("CAROL");
  user_cases[5].field = "password";
  for (const UserCase& c : user_cases) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::CreateUserResponse response;
    grpc::Status status =
        env_.users->CreateUser(&context, c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.field;
    EXPECT_TRUE(absl::StartsWith(status.error_message(), c.field + ":"))
        << status.error_message();
    EXPECT_FALSE(
        absl::StrContains(status.error_message(), c.request.password()));
  }
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(ListKeys("alice", kAlicePassword, "", &listed).ok());
  EXPECT_EQ(listed.access_keys_size(), 0);
}

// Sends `wire` as the request of `method`, bypassing the typed stubs (which
// would refuse to send invalid UTF-8).
grpc::Status RawCall(std::shared_ptr<grpc::Channel> channel,
                     const std::string& method, const std::string& wire,
                     const std::string& authorization) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", authorization);
  grpc::Slice slice(wire);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::Status result;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   result = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  return result;
}

TEST_F(IdentityServerTest, InvalidUtf8IsInvalidArgumentNamingTheField) {
  const std::string alice =
      "Basic " + absl::Base64Escape(std::string("alice:") + kAlicePassword);
  const std::string admin =
      "Basic " + absl::Base64Escape(std::string("admin:") + kAdminPassword);
  // CreateAccessKeyRequest.description (field 2) = ff fe
  grpc::Status s =
      RawCall(env_.channel(), "/identity.v1.AccessKeyService/CreateAccessKey",
              std::string("\x12\x02\xff\xfe", 4), alice);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "description: must be valid UTF-8");
  // CreateUserRequest.user_name (field 1) = c0 af (overlong '/')
  s = RawCall(env_.channel(), "/identity.v1.UserService/CreateUser",
              std::string("\x0a\x02\xc0\xaf", 4), admin);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "user_name: must be valid UTF-8");
  s = RawCall(env_.channel(), "/identity.v1.AccessKeyService/ListAccessKeys",
              "\xff\xff\xff", alice);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // Nothing was created, and the server still serves.
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(ListKeys("alice", kAlicePassword, "", &listed).ok());
  EXPECT_EQ(listed.access_keys_size(), 0);
}

TEST_F(IdentityServerTest, OversizedRequestIsResourceExhausted) {
  v1::CreateAccessKeyResponse created;
  grpc::Status s = CreateKey("alice", kAlicePassword, "",
                             std::string(70 * 1024, 'x'), &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(IdentityServerTest, UsersCreateAndGet) {
  grpc::ClientContext context;
  ServerEnv::SetBasic(context, "admin", kAdminPassword);
  v1::CreateUserRequest request;
  request.set_user_name("dave");
  request.set_password("dave-password");
  request.set_display_name("Dave Ops");
  request.set_email("dave@example.com");
  request.set_mobile("+8613800000000");
  v1::CreateUserResponse created;
  ASSERT_TRUE(env_.users->CreateUser(&context, request, &created).ok());
  EXPECT_EQ(created.user().role(), v1::User::USER);
  EXPECT_TRUE(created.user().enabled());

  grpc::ClientContext again;
  ServerEnv::SetBasic(again, "admin", kAdminPassword);
  EXPECT_EQ(env_.users->CreateUser(&again, request, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  grpc::ClientContext by_alice;
  ServerEnv::SetBasic(by_alice, "alice", kAlicePassword);
  request.set_user_name("erin");
  EXPECT_EQ(env_.users->CreateUser(&by_alice, request, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Dave has an email bound: his password alone reads nothing.
  grpc::ClientContext self;
  ServerEnv::SetBasic(self, "dave", "dave-password");
  v1::GetUserResponse got;
  EXPECT_EQ(ErrorReason(env_.users->GetUser(&self, {}, &got)),
            "VERIFICATION_CODE_REQUIRED");
  grpc::ClientContext by_admin;
  ServerEnv::SetBasic(by_admin, "admin", kAdminPassword);
  v1::GetUserRequest get_dave;
  get_dave.set_user_name("dave");
  ASSERT_TRUE(env_.users->GetUser(&by_admin, get_dave, &got).ok());
  EXPECT_EQ(got.user().user_name(), "dave");
  EXPECT_EQ(got.user().email(), "dave@example.com");
  EXPECT_EQ(got.user().display_name(), "Dave Ops");
}

TEST_F(IdentityServerTest, HealthServiceAnswersServing) {
  auto health = grpc::health::v1::Health::NewStub(env_.channel());
  for (const char* service : {"", "identity.v1.AccessKeyService"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok()) << service;
    EXPECT_EQ(response.status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
  }
}

TEST_F(IdentityServerTest, ReflectionListsOurServices) {
  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(env_.channel());
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  stream->WritesDone();
  std::set<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.insert(service.name());
  }
  EXPECT_TRUE(names.count("identity.v1.AccessKeyService"));
  EXPECT_TRUE(names.count("identity.v1.UserService"));
  EXPECT_TRUE(names.count("identity.v1.SessionService"));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(IdentityServerTest, ShutdownLetsInFlightCallsFinish) {
  // Six CreateUser calls (one Argon2 hash each, two workers): wait until the
  // server has accepted all six, then shut down while most still wait.
  constexpr int kCalls = 6;
  const uint64_t accepted_before = env_.server().calls_accepted();
  std::vector<grpc::Status> results(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      grpc::ClientContext context;
      ServerEnv::SetBasic(context, "admin", kAdminPassword);
      v1::CreateUserRequest request;
      request.set_user_name("drain" + std::to_string(i));
      request.set_password("drain-password");
      v1::CreateUserResponse response;
      results[i] = env_.users->CreateUser(&context, request, &response);
    });
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (env_.server().calls_accepted() < accepted_before + kCalls &&
         absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  env_.Stop();
  for (std::thread& t : threads) t.join();
  int ok = 0;
  for (const grpc::Status& s : results) {
    ok += s.ok();
    if (!s.ok()) ADD_FAILURE() << s.error_code() << ": " << s.error_message();
  }
  // Every call the server accepted was served; none was cut off.
  EXPECT_EQ(ok, kCalls) << env_.ReadLog();
}

TEST_F(IdentityServerTest, FullQueueAnswersResourceExhausted) {
  env_.Stop();
  env_.config().worker_threads = 1;
  env_.config().max_queued_calls = 1;
  env_.Start();
  std::atomic<int> ok{0}, exhausted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      v1::ListAccessKeysResponse listed;
      grpc::Status s = ListKeys("alice", kAlicePassword, "", &listed);
      if (s.ok()) ++ok;
      if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(exhausted.load(), 1);
  EXPECT_EQ(ok.load() + exhausted.load(), 12);
}

TEST_F(IdentityServerTest, StoreAndLogsHoldNoPlaintextSecretOrPassword) {
  std::vector<std::string> secrets = {kAdminPassword, kAlicePassword};
  for (int i = 0; i < 2; ++i) {
    v1::CreateAccessKeyResponse created;
    ASSERT_TRUE(CreateKey("alice", kAlicePassword, "", "k", &created).ok());
    secrets.push_back(created.secret_access_key());
  }
  v1::CreateAccessKeyResponse ignored;
  CreateKey("alice", "a-wrong-password-9", "", "", &ignored);
  secrets.push_back("a-wrong-password-9");
  env_.Stop();  // flush and close, so the files are complete

  std::vector<std::string> blobs = EverythingStored(env_.dir().Join("data"));
  ASSERT_GT(blobs.size(), 5u);
  blobs.push_back(env_.ReadLog());
  ASSERT_TRUE(absl::StrContains(blobs.back(), "CreateAccessKey"));
  for (const std::string& secret : secrets) {
    for (const std::string& blob : blobs) {
      ASSERT_FALSE(absl::StrContains(blob, secret))
          << "a secret of length " << secret.size() << " was found stored";
    }
  }
}

TEST(IdentityServerStartup, RefusesAKekFileInsideTheDataDir) {
  ServerEnv env;
  env.config().master_key_file = env.config().data_dir + "/master.key";
  Logger logger(stderr, LogLevel::kError);
  absl::StatusOr<std::unique_ptr<IdentityServer>> server =
      IdentityServer::Start(env.config(), logger);
  EXPECT_TRUE(absl::IsInvalidArgument(server.status())) << server.status();
}

TEST(IdentityServerStartup, RefusesAnAuditRetentionBelowADay) {
  ServerEnv env;
  Logger logger(stderr, LogLevel::kError);
  for (absl::Duration retention :
       {absl::Hours(9), absl::ZeroDuration(), -absl::Hours(9600)}) {
    env.config().audit_retention = retention;
    absl::StatusOr<std::unique_ptr<IdentityServer>> server =
        IdentityServer::Start(env.config(), logger);
    EXPECT_TRUE(absl::IsInvalidArgument(server.status())) << server.status();
    EXPECT_TRUE(
        absl::StrContains(server.status().message(), "--audit_retention"));
  }
}

TEST(IdentityServerStartup, RefusesBothADataDirAndEtcdEndpoints) {
  ServerEnv env;
  env.config().etcd_endpoints = {"127.0.0.1:1"};
  Logger logger(stderr, LogLevel::kError);
  absl::StatusOr<std::unique_ptr<IdentityServer>> server =
      IdentityServer::Start(env.config(), logger);
  EXPECT_TRUE(absl::IsInvalidArgument(server.status())) << server.status();
  EXPECT_TRUE(absl::StrContains(server.status().message(), "--etcd_endpoints"));
  // Neither is refused the same way.
  env.config().etcd_endpoints.clear();
  env.config().data_dir.clear();
  server = IdentityServer::Start(env.config(), logger);
  EXPECT_TRUE(absl::IsInvalidArgument(server.status())) << server.status();
}

TEST(IdentityServerStartup, EtcdWithoutAReachableMemberFailsToStart) {
  ServerEnv env;
  env.config().data_dir.clear();
  env.config().etcd_endpoints = {"127.0.0.1:1"};
  Logger logger(stderr, LogLevel::kError);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<IdentityServer>> server =
      IdentityServer::Start(env.config(), logger);
  EXPECT_TRUE(absl::IsUnavailable(server.status())) << server.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
}

TEST(IdentityServerStartup, RefusesToInventAKekForAStoreWithData) {
  ServerEnv env;
  env.Start();
  env.Stop();
  std::filesystem::remove(env.config().master_key_file);
  Logger logger(stderr, LogLevel::kError);
  absl::StatusOr<std::unique_ptr<IdentityServer>> server =
      IdentityServer::Start(env.config(), logger);
  EXPECT_TRUE(absl::IsFailedPrecondition(server.status())) << server.status();
  EXPECT_FALSE(std::filesystem::exists(env.config().master_key_file));
}

TEST(IdentityServerStartup, GeneratesAnAdminPasswordOnceWhenNoneIsGiven) {
  ServerEnv env;
  env.config().bootstrap_password = "";
  env.Start();
  std::optional<std::string> password =
      env.server().TakeGeneratedAdminPassword();
  ASSERT_TRUE(password.has_value());
  EXPECT_EQ(password->size(), 24u);
  EXPECT_FALSE(env.server().TakeGeneratedAdminPassword().has_value());
  EXPECT_FALSE(absl::StrContains(env.ReadLog(), *password));
  EXPECT_TRUE(absl::StrContains(env.ReadLog(), "dev_master_key_generated"));
  // It works.
  grpc::ClientContext context;
  ServerEnv::SetBasic(context, "admin", *password);
  v1::GetUserResponse got;
  ASSERT_TRUE(env.users->GetUser(&context, {}, &got).ok());
  EXPECT_EQ(got.user().role(), v1::User::ADMIN);
}

}  // namespace
}  // namespace identity::service
