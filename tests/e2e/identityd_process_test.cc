// identityd as operators run it: a child process with flags, a signal to
// stop, a restart on the same directories.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "identity/v1/user_service.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace identity {
namespace {

using testing::ChildProcess;

constexpr char kAdminPassword[] = "e2e-admin-password";

class IdentitydProcessTest : public ::testing::Test {
 protected:
  IdentitydProcessTest() {
    std::ofstream(dir_.Join("admin.pw")) << kAdminPassword << "\n";
  }

  std::unique_ptr<ChildProcess> Launch(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        IDENTITYD_PATH, "--listen=127.0.0.1:0",
        "--data_dir=" + dir_.Join("data"),
        "--master_key_file=" + dir_.Join("master.key"), "--worker_threads=2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ++launches_;
    return std::make_unique<ChildProcess>(
        argv, dir_.Join(absl::StrCat("stdout.", launches_)),
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

  testing::TempDir dir_;
  int launches_ = 0;
};

TEST_F(IdentitydProcessTest, ServesStopsOnSigtermAndKeepsKeysAcrossRestart) {
  std::string key_id;
  {
    auto server =
        Launch({"--bootstrap_password_file=" + dir_.Join("admin.pw")});
    const int port = server->WaitForServingPort(absl::Seconds(20));
    ASSERT_NE(port, 0) << server->Stderr();
    v1::CreateAccessKeyResponse response;
    {
      auto keys = v1::AccessKeyService::NewStub(Connect(port));
      grpc::ClientContext context;
      Basic(context, "admin", kAdminPassword);
      v1::CreateAccessKeyRequest request;
      request.set_description("e2e");
      grpc::Status status = keys->CreateAccessKey(&context, request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      key_id = response.access_key().access_key_id();
    }  // An idle sync client sees the server's GOAWAY only on its 5 s backup
       // poll; closing it first keeps the stop prompt.
    server->Signal(SIGTERM);
    EXPECT_EQ(server->Wait(absl::Seconds(30)), 0);
    EXPECT_TRUE(absl::StrContains(server->Stderr(), "\"event\":\"stopped\""));
    EXPECT_TRUE(
        absl::StrContains(server->Stderr(), "dev_master_key_generated"));
    EXPECT_FALSE(absl::StrContains(server->Stderr(), kAdminPassword));
    EXPECT_FALSE(
        absl::StrContains(server->Stderr(), response.secret_access_key()));
  }
  auto server = Launch();
  const int port = server->WaitForServingPort(absl::Seconds(20));
  ASSERT_NE(port, 0) << server->Stderr();
  EXPECT_FALSE(absl::StrContains(server->Stderr(), "dev_master_key_generated"));
  {
    auto keys = v1::AccessKeyService::NewStub(Connect(port));
    grpc::ClientContext context;
    Basic(context, "admin", kAdminPassword);
    v1::ListAccessKeysResponse listed;
    ASSERT_TRUE(keys->ListAccessKeys(&context, {}, &listed).ok());
    ASSERT_EQ(listed.access_keys_size(), 1);
    EXPECT_EQ(listed.access_keys(0).access_key_id(), key_id);
  }
  server->Signal(SIGINT);
  EXPECT_EQ(server->Wait(absl::Seconds(30)), 0);
}

TEST_F(IdentitydProcessTest, PrintsAGeneratedAdminPasswordOnceOnStdout) {
  auto server = Launch();
  const int port = server->WaitForServingPort(absl::Seconds(20));
  ASSERT_NE(port, 0) << server->Stderr();
  // The banner is printed just after the "serving" line is logged.
  std::string out = server->Stdout();
  for (int i = 0; i < 200 && !absl::StrContains(out, "\n\nSign in"); ++i) {
    absl::SleepFor(absl::Milliseconds(25));
    out = server->Stdout();
  }
  const size_t at = out.find("shown only now:");
  ASSERT_NE(at, std::string::npos) << "no password banner";
  std::string password(absl::StripAsciiWhitespace(
      out.substr(at + 15, out.find("\n\n", at + 17) - (at + 15))));
  ASSERT_EQ(password.size(), 24u);
  EXPECT_FALSE(absl::StrContains(server->Stderr(), password));

  {
    auto users = v1::UserService::NewStub(Connect(port));
    grpc::ClientContext context;
    Basic(context, "admin", password);
    v1::GetUserResponse got;
    ASSERT_TRUE(users->GetUser(&context, {}, &got).ok());
    EXPECT_EQ(got.user().role(), v1::User::ADMIN);
  }
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(30)), 0);

  // A second start finds the admin and prints no password.
  auto again = Launch();
  ASSERT_NE(again->WaitForServingPort(absl::Seconds(20)), 0);
  EXPECT_FALSE(absl::StrContains(again->Stdout(), "shown only now"));
}

TEST_F(IdentitydProcessTest, RefusesToStartWithTheKekInsideTheDataDir) {
  auto server =
      Launch({"--master_key_file=" + dir_.Join("data") + "/master.key"});
  EXPECT_EQ(server->Wait(absl::Seconds(20)), 1);
  EXPECT_TRUE(absl::StrContains(server->Stderr(), "startup_failed"));
  EXPECT_TRUE(absl::StrContains(server->Stderr(), "outside --data_dir"));
}

TEST_F(IdentitydProcessTest, RefusesAnUnknownLogLevel) {
  auto server = Launch({"--log_level=loud"});
  EXPECT_EQ(server->Wait(absl::Seconds(20)), 2);
  EXPECT_TRUE(absl::StrContains(server->Stderr(), "--log_level must be"));
}

TEST_F(IdentitydProcessTest, ErrorLevelStillSaysWhereItServesAndWhenItStops) {
  auto server = Launch({"--log_level=error"});
  ASSERT_NE(server->WaitForServingPort(absl::Seconds(20)), 0)
      << server->Stderr();
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(30)), 0);
  EXPECT_TRUE(absl::StrContains(server->Stderr(), "\"event\":\"stopped\""));
  // The dev-key warning is below the level: not written.
  EXPECT_FALSE(absl::StrContains(server->Stderr(), "dev_master_key_generated"));
}

TEST_F(IdentitydProcessTest, ServesMetricsOnTheAddressAskedFor) {
  auto server = Launch({"--metrics_listen=127.0.0.1:0"});
  ASSERT_NE(server->WaitForServingPort(absl::Seconds(20)), 0)
      << server->Stderr();
  EXPECT_FALSE(absl::StrContains(server->Stderr(), "\"metrics_port\":\"0\""));
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(30)), 0);
}

// Break glass: the only admin is locked out (its name, for every address)
// and the operator resets it on the host with identityd stopped.
TEST_F(IdentitydProcessTest, ResetAdminUnlocksTheOnlyAdminWithANewPassword) {
  const std::vector<std::string> lock_fast = {
      "--bootstrap_password_file=" + dir_.Join("admin.pw"),
      "--lockout_name_threshold=5"};
  auto list_keys = [](int port, const std::string& password) {
    auto keys = v1::AccessKeyService::NewStub(Connect(port));
    grpc::ClientContext context;
    Basic(context, "admin", password);
    v1::ListAccessKeysResponse listed;
    return keys->ListAccessKeys(&context, {}, &listed);
  };
  {
    auto server = Launch(lock_fast);
    const int port = server->WaitForServingPort(absl::Seconds(20));
    ASSERT_NE(port, 0) << server->Stderr();
    for (int i = 0; i < 5; ++i) list_keys(port, "an-attackers-guess");
    grpc::Status locked = list_keys(port, kAdminPassword);
    EXPECT_EQ(locked.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_TRUE(absl::StrContains(locked.error_message(), "too many"));
    // While identityd runs, the store is its own: reset-admin says so.
    ChildProcess busy(
        {IDENTITYD_PATH, "reset-admin", "--data_dir=" + dir_.Join("data"),
         "--master_key_file=" + dir_.Join("master.key")},
        dir_.Join("busy.out"), dir_.Join("busy.err"));
    EXPECT_EQ(busy.Wait(absl::Seconds(30)), 1);
    server->Signal(SIGTERM);
    ASSERT_EQ(server->Wait(absl::Seconds(30)), 0);
  }
  ChildProcess reset(
      {IDENTITYD_PATH, "reset-admin", "--data_dir=" + dir_.Join("data"),
       "--master_key_file=" + dir_.Join("master.key"), "--user=admin"},
      dir_.Join("reset.out"), dir_.Join("reset.err"));
  ASSERT_EQ(reset.Wait(absl::Seconds(30)), 0) << reset.Stderr();
  const std::string out = reset.Stdout();
  const size_t at = out.find("shown only now:");
  ASSERT_NE(at, std::string::npos) << "unexpected reset-admin output";
  const std::string password(
      absl::StripAsciiWhitespace(out.substr(at + strlen("shown only now:"))));
  ASSERT_EQ(password.size(), 24u);
  // Not a user that is no admin, and not a store that is not there.
  ChildProcess wrong(
      {IDENTITYD_PATH, "reset-admin", "--data_dir=" + dir_.Join("nowhere"),
       "--master_key_file=" + dir_.Join("master.key")},
      dir_.Join("wrong.out"), dir_.Join("wrong.err"));
  EXPECT_EQ(wrong.Wait(absl::Seconds(30)), 1);
  EXPECT_TRUE(absl::StrContains(wrong.Stderr(), "no identity store"));

  auto server = Launch(lock_fast);
  const int port = server->WaitForServingPort(absl::Seconds(20));
  ASSERT_NE(port, 0) << server->Stderr();
  EXPECT_TRUE(list_keys(port, password).ok());
  EXPECT_EQ(list_keys(port, kAdminPassword).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(absl::Seconds(30)), 0);
}

}  // namespace
}  // namespace identity
