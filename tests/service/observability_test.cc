// What operators watch: Prometheus metrics on --metrics_listen, and the
// access log's one JSON line per call (request id, user), with --log_level.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"
#include "testing/loopback_socket.h"
#include "testing/server_env.h"

namespace identity {
namespace {

using testing::FakeClock;
using testing::kAdminPassword;
using testing::ServerEnv;

// GET http://127.0.0.1:port/metrics, the body; empty on failure or when
// no answer came within `timeout_seconds`.
std::string ScrapeMetrics(int port, int timeout_seconds = 30) {
  const int fd = testing::ConnectLoopback(port);
  if (fd < 0) return "";
  const timeval timeout{timeout_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string response;
  const std::string request =
      "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, request.data(), request.size()) ==
      static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
      response.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of the sample whose name and labels are exactly `series`, or -1.
double Sample(const std::string& metrics, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double value = 0;
      if (absl::SimpleAtod(line, &value)) return value;
    }
  }
  return -1;
}

// The access-log lines ("event":"rpc") of `method`.
std::vector<std::string> RpcLines(const std::string& log,
                                  absl::string_view method) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "\"event\":\"rpc\"") &&
        absl::StrContains(line, absl::StrCat("\"method\":\"", method, "\""))) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

TEST(ObservabilityTest, MetricsCountCallsKeysLockoutsAndArgon2) {
  ServerEnv env;
  env.config().metrics_listen = "127.0.0.1:0";
  env.config().lockout.max_failures = 2;
  env.Start();
  const int port = env.server().metrics_port();
  ASSERT_NE(port, 0);
  env.CreateUser("bob", "bob-password-1");

  std::string key_id;
  {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::CreateAccessKeyResponse created;
    ASSERT_TRUE(env.keys->CreateAccessKey(&context, {}, &created).ok());
    key_id = created.access_key().access_key_id();
  }
  {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::DeleteAccessKeyRequest request;
    request.set_access_key_id(key_id);
    v1::DeleteAccessKeyResponse deleted;
    ASSERT_TRUE(env.keys->DeleteAccessKey(&context, request, &deleted).ok());
  }
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "bob", "not-bobs-password");
    v1::LoginResponse session;
    EXPECT_EQ(env.sessions->Login(&context, {}, &session).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }

  const std::string metrics = ScrapeMetrics(port);
  ASSERT_FALSE(metrics.empty()) << "no answer on the metrics port";
  EXPECT_EQ(Sample(metrics,
                   "identity_rpcs_total{code=\"OK\",method="
                   "\"CreateAccessKey\"}"),
            1);
  EXPECT_EQ(Sample(metrics,
                   "identity_rpcs_total{code=\"UNAUTHENTICATED\","
                   "method=\"Login\"}"),
            2);
  EXPECT_EQ(Sample(metrics,
                   "identity_rpc_duration_seconds_count{method="
                   "\"DeleteAccessKey\"}"),
            1);
  EXPECT_EQ(Sample(metrics, "identity_access_keys_created_total"), 1);
  EXPECT_EQ(Sample(metrics, "identity_access_keys_deleted_total"), 1);
  EXPECT_EQ(Sample(metrics, "identity_user_lockouts_total"), 1);
  // CreateUser, CreateAccessKey, DeleteAccessKey and two failed sign-ins
  // each checked a password.
  EXPECT_EQ(Sample(metrics, "identity_argon2_verifications_total"), 5);
  EXPECT_EQ(Sample(metrics, "identity_worker_queue_depth{pool=\"password\"}"),
            0);
  EXPECT_EQ(
      Sample(metrics, "identity_worker_rejections_total{pool=\"session\"}"), 0);
  EXPECT_FALSE(absl::StrContains(metrics, kAdminPassword));
  // One TYPE line per metric name, as the text format requires.
  std::set<std::string> typed;
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (!absl::ConsumePrefix(&line, "# TYPE ")) continue;
    EXPECT_TRUE(
        typed.insert(std::string(line.substr(0, line.find(' ')))).second)
        << line;
  }
  EXPECT_TRUE(typed.count("identity_worker_queue_depth"));
}

TEST(ObservabilityTest, AuditRetentionPassIsCountedAndLogged) {
  // Declared first, so it outlives the server and its passes that read it.
  FakeClock clock;
  ServerEnv env;
  env.config().clock = &clock;
  env.config().metrics_listen = "127.0.0.1:0";
  env.Start();
  env.CreateUser("bob", "bob-password-1");
  env.Stop();
  // 401 days on, with the default retention of 400: the first pass of the
  // restarted server deletes what the first run wrote.
  clock.Advance(absl::Hours(401 * 24));
  env.config().audit_retention_interval = absl::Milliseconds(20);
  env.Start();
  const int port = env.server().metrics_port();
  ASSERT_NE(port, 0);
  double purged = -1;
  for (int i = 0; i < 200 && purged < 1; ++i) {
    purged = Sample(ScrapeMetrics(port), "identity_audit_events_purged_total");
    if (purged < 1) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GE(purged, 1);
  EXPECT_TRUE(absl::StrContains(env.ReadLog(), "\"audit_retention_pass\""));

  grpc::ClientContext context;
  ServerEnv::SetBasic(context, "admin", kAdminPassword);
  v1::ListAuditEventsResponse events;
  ASSERT_TRUE(env.audit->ListAuditEvents(&context, {}, &events).ok());
  for (const v1::AuditEvent& event : events.events()) {
    EXPECT_GE(event.time().seconds(),
              absl::ToUnixSeconds(clock.Now() - absl::Hours(400 * 24)))
        << event.DebugString();
  }
}

TEST(ObservabilityTest, MetricsAreScrapedWhileOtherClientsStall) {
  ServerEnv env;
  env.config().metrics_listen = "127.0.0.1:0";
  env.Start();
  const int port = env.server().metrics_port();
  ASSERT_NE(port, 0);
  // Three clients that send half a request and wait: each used to hold the
  // endpoint's only thread for civetweb's 30 s request timeout.
  std::vector<int> stalled;
  for (int i = 0; i < 3; ++i) {
    const int fd = testing::ConnectLoopback(port);
    ASSERT_GE(fd, 0);
    const std::string half = "GET /metrics HTTP/1.1\r\nHost: x";
    ASSERT_EQ(write(fd, half.data(), half.size()),
              static_cast<ssize_t>(half.size()));
    stalled.push_back(fd);
  }
  const absl::Time start = absl::Now();
  const std::string metrics = ScrapeMetrics(port, /*timeout_seconds=*/3);
  EXPECT_FALSE(metrics.empty())
      << "no scrape answer within 3 s while 3 clients stalled";
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  for (int fd : stalled) close(fd);
}

TEST(ObservabilityTest, MetricsAreOffUnlessAskedFor) {
  ServerEnv env;
  env.Start();
  EXPECT_EQ(env.server().metrics_port(), 0);
}

TEST(ObservabilityTest, AccessLogLineCarriesRequestIdAndUser) {
  ServerEnv env;
  env.Start();
  grpc::ClientContext context;
  ServerEnv::SetBasic(context, "admin", kAdminPassword);
  context.AddMetadata("x-request-id", "trace-7f3a.1");
  v1::GetUserResponse got;
  ASSERT_TRUE(env.users->GetUser(&context, {}, &got).ok());
  // The id comes back to the caller, to quote when asking about the call.
  auto echoed = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()),
            "trace-7f3a.1");

  // An id that is not a plain token is replaced by a fresh one.
  grpc::ClientContext hostile;
  ServerEnv::SetBasic(hostile, "admin", "wrong-password");
  hostile.AddMetadata("x-request-id", "a\"b");
  EXPECT_FALSE(env.users->GetUser(&hostile, {}, &got).ok());

  const std::vector<std::string> lines = RpcLines(env.ReadLog(), "GetUser");
  ASSERT_EQ(lines.size(), 2u) << env.ReadLog();
  for (const char* field :
       {"\"time\":", "\"level\":\"info\"", "\"peer\":", "\"latency_ms\":"}) {
    EXPECT_TRUE(absl::StrContains(lines[0], field)) << field;
  }
  EXPECT_TRUE(absl::StrContains(lines[0], "\"request_id\":\"trace-7f3a.1\""));
  EXPECT_TRUE(absl::StrContains(lines[0], "\"user\":\"admin\""));
  EXPECT_TRUE(absl::StrContains(lines[0], "\"code\":\"OK\""));
  // A failed sign-in proves no one: no user, and a generated request id.
  EXPECT_TRUE(absl::StrContains(lines[1], "\"user\":\"\""));
  EXPECT_TRUE(absl::StrContains(lines[1], "\"code\":\"UNAUTHENTICATED\""));
  EXPECT_FALSE(absl::StrContains(lines[1], "a\\\"b"));
  EXPECT_FALSE(absl::StrContains(env.ReadLog(), "wrong-password"));
}

TEST(ObservabilityTest, WarningLevelKeepsCallsOutOfTheLog) {
  ServerEnv env;
  env.SetLogLevel(service::LogLevel::kWarning);
  env.Start();
  grpc::ClientContext context;
  ServerEnv::SetBasic(context, "admin", kAdminPassword);
  v1::GetUserResponse got;
  ASSERT_TRUE(env.users->GetUser(&context, {}, &got).ok());
  EXPECT_TRUE(RpcLines(env.ReadLog(), "GetUser").empty());
  EXPECT_FALSE(absl::StrContains(env.ReadLog(), "\"level\":\"info\""));
  // Where it serves is still said, whatever the level.
  EXPECT_TRUE(absl::StrContains(env.ReadLog(), "\"event\":\"serving\""));
}

}  // namespace
}  // namespace identity
