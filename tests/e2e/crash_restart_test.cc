// Crash and restart: identityd is SIGKILLed at random moments while clients
// create and delete keys for several users, then restarted. Every time:
// the store opens, every acknowledged key is there, no acknowledged delete
// came back, and no user holds more than the limit.
//
// IDENTITY_CRASH_CYCLES sets the number of kill/restart cycles (20 in the
// suite; deploy/crash-long.sh runs 200).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
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

constexpr char kAdminPassword[] = "crash-admin-password";
constexpr char kUserPassword[] = "crash-user-password";
constexpr int kUsers = 12;
constexpr int kClientThreads = 4;
constexpr int kMaxKeys = 2;

int Cycles() {
  int cycles = 20;
  const char* env = getenv("IDENTITY_CRASH_CYCLES");
  if (env != nullptr && absl::SimpleAtoi(env, &cycles) && cycles > 0) {
    return cycles;
  }
  return 20;
}

std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + absl::Base64Escape(user + ":" + password);
}

// A session token for `user`, or "" if the login failed.
std::string Login(const std::string& user, const std::string& password,
                  const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", Basic(user, password));
  v1::LoginResponse response;
  if (!v1::SessionService::NewStub(channel)
           ->Login(&context, v1::LoginRequest(), &response)
           .ok()) {
    return "";
  }
  return response.session_token();
}

// What the clients were told, appended to a file as it happens (the record
// the checks read back), plus what they could not be sure of.
class Ledger {
 public:
  explicit Ledger(std::string path) : path_(std::move(path)) {}

  void Acknowledged(const std::string& verb, const std::string& user,
                    const std::string& key_id) {
    absl::MutexLock lock(&mu_);
    std::ofstream(path_, std::ios::app)
        << verb << " " << user << " " << key_id << "\n";
  }
  void Uncertain(const std::string& key_id) {
    absl::MutexLock lock(&mu_);
    uncertain_.insert(key_id);
  }
  bool IsUncertain(const std::string& key_id) {
    absl::MutexLock lock(&mu_);
    return uncertain_.count(key_id) > 0;
  }

  // Keys acknowledged as created and not acknowledged as deleted, per user;
  // and keys acknowledged as deleted.
  void Read(std::map<std::string, std::set<std::string>>& live,
            std::set<std::string>& deleted) {
    absl::MutexLock lock(&mu_);
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      if (f.size() != 3) continue;
      if (f[0] == "created") live[f[1]].insert(f[2]);
      if (f[0] == "deleted") {
        live[f[1]].erase(f[2]);
        deleted.insert(f[2]);
      }
    }
  }

 private:
  absl::Mutex mu_;
  std::string path_;
  std::set<std::string> uncertain_ ABSL_GUARDED_BY(mu_);
};

// The same crashes on both engines: RocksDB in a directory, or a 3-member
// etcd cluster (which stays up while identityd is killed).
class CrashRestartTest : public ::testing::TestWithParam<bool> {
 protected:
  bool on_etcd() const { return GetParam(); }

  std::unique_ptr<ChildProcess> Launch() {
    ++launches_;
    if (on_etcd() && cluster_ == nullptr) {
      cluster_ = std::make_unique<testing::EtcdCluster>();
      EXPECT_TRUE(cluster_->WaitForQuorum(absl::Seconds(20)));
    }
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{
            IDENTITYD_PATH, "--listen=127.0.0.1:0",
            on_etcd() ? "--etcd_endpoints=" + cluster_->endpoints_flag()
                      : "--data_dir=" + dir_.Join("data"),
            "--master_key_file=" + dir_.Join("master.key"),
            "--bootstrap_password_file=" + dir_.Join("admin.pw"),
            "--worker_threads=2",
            // Every client comes from 127.0.0.1; none guesses passwords.
            "--max_failures_per_address=1000000"},
        dir_.Join("stdout"), dir_.Join(absl::StrCat("stderr.", launches_)));
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::EtcdCluster> cluster_;
  int launches_ = 0;
};
INSTANTIATE_TEST_SUITE_P(Engines, CrashRestartTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Etcd" : "RocksDb";
                         });

TEST_P(CrashRestartTest, AcknowledgedKeysSurviveKillsAndTheLimitHolds) {
  std::ofstream(dir_.Join("admin.pw")) << kAdminPassword << "\n";
  Ledger ledger(dir_.Join("acknowledged.log"));
  absl::Mutex secrets_mu;
  std::vector<std::string> secrets;  // every secret key handed out
  std::mt19937 rng(20261127);
  std::vector<std::string> users;
  for (int u = 0; u < kUsers; ++u) users.push_back(absl::StrCat("crash", u));

  const int cycles = Cycles();
  for (int cycle = 0; cycle <= cycles; ++cycle) {
    auto server = Launch();
    const int port = server->WaitForServingPort(absl::Seconds(30));
    ASSERT_NE(port, 0) << "cycle " << cycle << ": the store did not open\n"
                       << server->Stderr();
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                       grpc::InsecureChannelCredentials());
    auto keys = v1::AccessKeyService::NewStub(channel);
    auto user_stub = v1::UserService::NewStub(channel);

    if (cycle == 0) {
      for (const std::string& user : users) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", Basic("admin", kAdminPassword));
        v1::CreateUserRequest request;
        request.set_user_name(user);
        request.set_password(kUserPassword);
        v1::CreateUserResponse response;
        ASSERT_TRUE(user_stub->CreateUser(&context, request, &response).ok());
      }
    } else {
      // Verify what survived the last kill, as the admin with one session:
      // a password per call would be an Argon2id check per user per cycle.
      std::map<std::string, std::set<std::string>> live;
      std::set<std::string> deleted;
      ledger.Read(live, deleted);
      const std::string admin_session = Login("admin", kAdminPassword, channel);
      ASSERT_FALSE(admin_session.empty()) << "cycle " << cycle;
      {
        absl::MutexLock lock(&secrets_mu);  // the store keeps only its hash
        secrets.push_back(admin_session);
      }
      for (const std::string& user : users) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + admin_session);
        v1::ListAccessKeysRequest request;
        request.set_user_name(user);
        v1::ListAccessKeysResponse response;
        grpc::Status s = keys->ListAccessKeys(&context, request, &response);
        ASSERT_TRUE(s.ok()) << s.error_message();
        ASSERT_LE(response.access_keys_size(), kMaxKeys)
            << "cycle " << cycle << ": " << user << " is over the limit";
        std::set<std::string> present;
        for (const v1::AccessKey& key : response.access_keys()) {
          present.insert(key.access_key_id());
          ASSERT_FALSE(deleted.count(key.access_key_id()) &&
                       !ledger.IsUncertain(key.access_key_id()))
              << "cycle " << cycle << ": deleted key " << key.access_key_id()
              << " came back";
        }
        for (const std::string& id : live[user]) {
          if (ledger.IsUncertain(id)) continue;  // a delete may have landed
          ASSERT_TRUE(present.count(id))
              << "cycle " << cycle << ": acknowledged key " << id << " of "
              << user << " was lost";
        }
      }
    }
    if (cycle == cycles) break;

    // Load, then a kill at a random moment.
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < kClientThreads; ++t) {
      clients.emplace_back([&, t] {
        std::mt19937 local(rng() + t);
        while (!stop) {
          const std::string& user = users[local() % users.size()];
          grpc::ClientContext context;
          context.AddMetadata("authorization", Basic(user, kUserPassword));
          context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(5));
          if (local() % 2 == 0) {
            v1::CreateAccessKeyResponse response;
            grpc::Status s = keys->CreateAccessKey(
                &context, v1::CreateAccessKeyRequest(), &response);
            if (s.ok()) {
              ledger.Acknowledged("created", user,
                                  response.access_key().access_key_id());
              absl::MutexLock lock(&secrets_mu);
              secrets.push_back(response.secret_access_key());
            }
          } else {
            v1::ListAccessKeysResponse listed;
            if (!keys->ListAccessKeys(&context, {}, &listed).ok() ||
                listed.access_keys_size() == 0) {
              continue;
            }
            const std::string id =
                listed.access_keys(local() % listed.access_keys_size())
                    .access_key_id();
            grpc::ClientContext del_context;
            del_context.AddMetadata("authorization",
                                    Basic(user, kUserPassword));
            del_context.set_deadline(std::chrono::system_clock::now() +
                                     std::chrono::seconds(5));
            v1::DeleteAccessKeyRequest request;
            request.set_access_key_id(id);
            v1::DeleteAccessKeyResponse response;
            grpc::Status s =
                keys->DeleteAccessKey(&del_context, request, &response);
            if (s.ok()) {
              ledger.Acknowledged("deleted", user, id);
            } else if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
              ledger.Uncertain(id);  // it may or may not have landed
            }
          }
        }
      });
    }
    absl::SleepFor(absl::Milliseconds(300 + rng() % 600));
    server->Signal(SIGKILL);
    EXPECT_EQ(server->Wait(absl::Seconds(10)), 128 + SIGKILL);
    stop = true;
    for (std::thread& c : clients) c.join();
  }
  std::map<std::string, std::set<std::string>> live;
  std::set<std::string> deleted;
  ledger.Read(live, deleted);
  size_t acknowledged = deleted.size();
  for (const auto& [user, ids] : live) acknowledged += ids.size();
  EXPECT_GT(acknowledged, static_cast<size_t>(cycles))
      << "too little load to prove anything";
  std::cout << cycles << " kill/restart cycles; " << acknowledged
            << " keys acknowledged, " << deleted.size()
            << " acknowledged deletes\n";

  // No secret key, session token or password in any file the crashed
  // servers left: the data directory (WAL, SST, MANIFEST, RocksDB's LOG)
  // and their logs.
  secrets.push_back(kUserPassword);
  secrets.push_back(kAdminPassword);
  int files = 0;
  int hits = 0;
  std::vector<std::filesystem::directory_entry> entries;
  for (const std::string& root :
       {dir_.path(), cluster_ != nullptr ? cluster_->data_root() : ""}) {
    if (root.empty()) continue;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(root)) {
      entries.push_back(entry);
    }
  }
  for (const auto& entry : entries) {
    if (!entry.is_regular_file() || entry.path().filename() == "admin.pw") {
      continue;  // the operator's password file holds the password
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string content = bytes.str();
    ++files;
    for (const std::string& secret : secrets) {
      if (content.find(secret) != std::string::npos) {
        ++hits;
        ADD_FAILURE() << entry.path().filename()
                      << " holds a secret the test used";
      }
    }
  }
  EXPECT_GT(files, 5);
  EXPECT_EQ(hits, 0);
}

}  // namespace
}  // namespace identity
