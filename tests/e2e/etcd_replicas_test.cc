// Two identityd replicas on one 3-member etcd cluster, as processes: the
// key limit across replicas, sessions and key changes seen by both, and the
// faults (an etcd leader killed, quorum lost and back, a replica killed).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "auth/key_encryption_key.h"
#include "gtest/gtest.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "identity/v1/session_service.grpc.pb.h"
#include "identity/v1/user_service.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/etcd_cluster.h"
#include "testing/temp_dir.h"

namespace identity {
namespace {

using testing::ChildProcess;

constexpr char kAdminPassword[] = "replica-admin-password";
constexpr char kAlicePassword[] = "alice-password-1";

class EtcdReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.WaitForQuorum(absl::Seconds(20)));
    std::ofstream(dir_.Join("admin.pw")) << kAdminPassword << "\n";
    // The replicas share one KEK file, made before either starts.
    ASSERT_TRUE(auth::CreateKeyEncryptionKeyFile(dir_.Join("master.key")).ok());
  }

  std::unique_ptr<ChildProcess> Launch() {
    ++launches_;
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{
            IDENTITYD_PATH, "--listen=127.0.0.1:0",
            "--etcd_endpoints=" + cluster_.endpoints_flag(),
            "--master_key_file=" + dir_.Join("master.key"),
            "--bootstrap_password_file=" + dir_.Join("admin.pw"),
            "--worker_threads=2"},
        dir_.Join(absl::StrCat("stdout.", launches_)),
        dir_.Join(absl::StrCat("stderr.", launches_)));
  }

  static std::shared_ptr<grpc::Channel> Connect(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               grpc::InsecureChannelCredentials());
  }

  static void Basic(grpc::ClientContext& context, const std::string& user,
                    const std::string& password) {
    context.AddMetadata("authorization",
                        "Basic " + absl::Base64Escape(user + ":" + password));
  }

  static void Deadline(grpc::ClientContext& context, absl::Duration within) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + within));
  }

  static grpc::Status CreateUser(int port, const std::string& name) {
    auto users = v1::UserService::NewStub(Connect(port));
    grpc::ClientContext context;
    Deadline(context, absl::Seconds(15));
    Basic(context, "admin", kAdminPassword);
    v1::CreateUserRequest request;
    request.set_user_name(name);
    request.set_password(kAlicePassword);
    v1::CreateUserResponse response;
    return users->CreateUser(&context, request, &response);
  }

  static grpc::Status CreateKey(int port, std::string* key_id = nullptr) {
    auto keys = v1::AccessKeyService::NewStub(Connect(port));
    grpc::ClientContext context;
    Deadline(context, absl::Seconds(15));
    Basic(context, "alice", kAlicePassword);
    v1::CreateAccessKeyResponse response;
    grpc::Status status = keys->CreateAccessKey(&context, {}, &response);
    if (key_id != nullptr) *key_id = response.access_key().access_key_id();
    return status;
  }

  static grpc::Status ListKeysWithToken(int port, const std::string& token,
                                        v1::ListAccessKeysResponse* listed) {
    auto keys = v1::AccessKeyService::NewStub(Connect(port));
    grpc::ClientContext context;
    Deadline(context, absl::Seconds(10));
    context.AddMetadata("authorization", "Bearer " + token);
    return keys->ListAccessKeys(&context, {}, listed);
  }

  // Two replicas started at once on the empty cluster; their ports.
  std::pair<int, int> StartTwoReplicas() {
    a_ = Launch();
    b_ = Launch();
    const int a = a_->WaitForServingPort(absl::Seconds(30));
    const int b = b_->WaitForServingPort(absl::Seconds(30));
    EXPECT_NE(a, 0) << a_->Stderr();
    EXPECT_NE(b, 0) << b_->Stderr();
    return {a, b};
  }

  testing::EtcdCluster cluster_;
  testing::TempDir dir_;
  std::unique_ptr<ChildProcess> a_;
  std::unique_ptr<ChildProcess> b_;
  int launches_ = 0;
};

TEST_F(EtcdReplicasTest, OneAdminAndTheKeyLimitAcrossReplicas) {
  auto [a, b] = StartTwoReplicas();
  ASSERT_NE(a, 0);
  ASSERT_NE(b, 0);
  {
    auto users = v1::UserService::NewStub(Connect(b));
    grpc::ClientContext context;
    Basic(context, "admin", kAdminPassword);
    v1::ListUsersResponse listed;
    ASSERT_TRUE(users->ListUsers(&context, {}, &listed).ok());
    EXPECT_EQ(listed.users_size(), 1) << "bootstrap made more than one admin";
  }
  ASSERT_TRUE(CreateUser(a, "alice").ok());

  std::atomic<int> created{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t, a = a, b = b] {
      grpc::Status status = CreateKey(t % 2 == 0 ? a : b);
      if (status.ok()) {
        ++created;
      } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++limited;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 2);
  EXPECT_EQ(limited.load(), 14);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(EtcdReplicasTest,
       LogoutAndDeactivationOnOneHoldOnTheOtherWithinASecond) {
  auto [a, b] = StartTwoReplicas();
  ASSERT_NE(a, 0);
  ASSERT_NE(b, 0);
  ASSERT_TRUE(CreateUser(a, "alice").ok());
  std::string key_id;
  ASSERT_TRUE(CreateKey(a, &key_id).ok());

  std::string token;
  {
    auto sessions = v1::SessionService::NewStub(Connect(a));
    grpc::ClientContext context;
    Basic(context, "alice", kAlicePassword);
    v1::LoginResponse response;
    ASSERT_TRUE(sessions->Login(&context, {}, &response).ok());
    token = response.session_token();
  }
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(ListKeysWithToken(b, token, &listed).ok());
  ASSERT_EQ(listed.access_keys_size(), 1);

  // Deactivated through A: B lists it inactive within 1 s.
  {
    auto keys = v1::AccessKeyService::NewStub(Connect(a));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    v1::UpdateAccessKeyRequest request;
    request.set_access_key_id(key_id);
    request.set_status(v1::AccessKey::INACTIVE);
    v1::UpdateAccessKeyResponse response;
    ASSERT_TRUE(keys->UpdateAccessKey(&context, request, &response).ok());
  }
  absl::Time changed = absl::Now();
  bool inactive = false;
  while (!inactive && absl::Now() - changed < absl::Seconds(1)) {
    listed.Clear();
    ASSERT_TRUE(ListKeysWithToken(b, token, &listed).ok());
    inactive = listed.access_keys(0).status() == v1::AccessKey::INACTIVE;
  }
  EXPECT_TRUE(inactive);

  // Logged out through A: B refuses the token within 1 s.
  {
    auto sessions = v1::SessionService::NewStub(Connect(a));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    v1::LogoutResponse response;
    ASSERT_TRUE(sessions->Logout(&context, {}, &response).ok());
  }
  changed = absl::Now();
  grpc::Status refused;
  do {
    refused = ListKeysWithToken(b, token, &listed);
  } while (refused.ok() && absl::Now() - changed < absl::Seconds(1));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(EtcdReplicasTest, FaultsLoseNothingAcknowledgedAndWritesResume) {
  auto [a, b] = StartTwoReplicas();
  ASSERT_NE(a, 0);
  ASSERT_NE(b, 0);

  // A burst of creates through both replicas while the etcd leader is
  // SIGKILLed and then replica B too.
  absl::Mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  auto burst = [&](int port, const std::string& tag) {
    for (int i = 0; i < 200 && !stop.load(); ++i) {
      const std::string name = absl::StrCat("u", tag, i);
      if (CreateUser(port, name).ok()) {
        absl::MutexLock lock(&mu);
        acknowledged.push_back(name);
      }
    }
  };
  std::thread via_a(burst, a, "a");
  std::thread via_b(burst, b, "b");
  absl::SleepFor(absl::Milliseconds(500));
  const int leader = cluster_.Leader(absl::Seconds(5));
  ASSERT_GE(leader, 0);
  cluster_.Kill(leader);
  absl::SleepFor(absl::Milliseconds(500));
  b_->Signal(SIGKILL);
  absl::SleepFor(absl::Seconds(3));
  stop = true;
  via_a.join();
  via_b.join();
  ASSERT_FALSE(acknowledged.empty());

  // Writes resume through A on the two members left.
  grpc::Status status;
  for (int i = 0; i < 20; ++i) {
    status = CreateUser(a, "after_leader");
    if (status.ok()) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Every acknowledged user is there.
  auto users = v1::UserService::NewStub(Connect(a));
  auto listed_names = [&]() {
    std::set<std::string> names;
    std::string page;
    for (int pages = 0; pages < 20; ++pages) {
      grpc::ClientContext context;
      Deadline(context, absl::Seconds(10));
      Basic(context, "admin", kAdminPassword);
      v1::ListUsersRequest request;
      request.set_page_size(100);
      request.set_page_token(page);
      v1::ListUsersResponse response;
      EXPECT_TRUE(users->ListUsers(&context, request, &response).ok());
      for (const v1::User& user : response.users()) {
        names.insert(user.user_name());
      }
      page = response.next_page_token();
      if (page.empty()) break;
    }
    return names;
  };
  std::set<std::string> names = listed_names();
  for (const std::string& name : acknowledged) {
    EXPECT_EQ(names.count(name), 1u) << name << " was acknowledged but is gone";
  }

  // A second member down: no quorum, UNAVAILABLE within the call deadline
  // of the store (5 s), not a hang; nothing half-written.
  const int second = (leader + 1) % testing::EtcdCluster::kMembers;
  cluster_.Kill(second);
  const absl::Time start = absl::Now();
  status = CreateUser(a, "without_quorum");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));

  // Both back: writes resume, and the refused user is wholly absent or
  // wholly present.
  cluster_.Start(leader);
  cluster_.Start(second);
  ASSERT_TRUE(cluster_.WaitForQuorum(leader, absl::Seconds(20)));
  for (int i = 0; i < 40; ++i) {
    status = CreateUser(a, "after_quorum");
    if (status.ok()) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  names = listed_names();
  EXPECT_EQ(names.count("after_quorum"), 1u);
  const grpc::Status again = CreateUser(a, "without_quorum");
  EXPECT_TRUE(again.ok() ||
              again.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(again.ok(), names.count("without_quorum") == 0);
}

}  // namespace
}  // namespace identity
