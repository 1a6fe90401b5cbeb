// What identityctl prints: tables, CSV fields, saved sessions, and the
// explanation and exit code of each failure.
#include <fstream>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "service/identityctl/call_failure.h"
#include "service/identityctl/output_format.h"
#include "service/identityctl/saved_session.h"
#include "service/identityctl/text_table.h"
#include "testing/temp_dir.h"

namespace identity::identityctl {
namespace {

TEST(TextTable, PadsColumnsToTheWidestCell) {
  TextTable table({"ID", "STATUS"});
  table.AddRow({"AKIA1", "Active"});
  table.AddRow({"A", "Inactive", "ignored extra cell"});
  EXPECT_EQ(table.Render(),
            "ID     STATUS\n"
            "AKIA1  Active\n"
            "A      Inactive\n");
}

TEST(CsvField, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(CsvField("alice"), "alice");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(SavedSession, RoundTripsAndRefusesForeignFiles) {
  testing::TempDir dir;
  const std::string path = dir.Join("session");
  EXPECT_TRUE(absl::IsNotFound(LoadSession(path).status()));
  SavedSession session{"127.0.0.1:50051", "alice", "idt_token",
                       absl::FromUnixSeconds(1900000000)};
  ASSERT_TRUE(SaveSession(path, session).ok());
  absl::StatusOr<SavedSession> loaded = LoadSession(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->server, session.server);
  EXPECT_EQ(loaded->user_name, "alice");
  EXPECT_EQ(loaded->token, "idt_token");
  EXPECT_EQ(loaded->expire_time, session.expire_time);

  std::ofstream(path) << "not a session\n";
  EXPECT_TRUE(absl::IsDataLoss(LoadSession(path).status()));
  ASSERT_TRUE(RemoveSession(path).ok());
  EXPECT_TRUE(RemoveSession(path).ok()) << "removing nothing is fine";
}

grpc::Status WithReason(grpc::StatusCode code, const std::string& reason) {
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("identity.v1");
  google::rpc::Status details;
  details.set_code(code);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, "server says", details.SerializeAsString());
}

TEST(CallFailure, EachReasonAndCodeHasItsExitCode) {
  struct Case {
    grpc::Status status;
    ExitCode exit_code;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {WithReason(grpc::StatusCode::FAILED_PRECONDITION,
                       "ACCESS_KEY_LIMIT_EXCEEDED"),
            kExitKeyLimit, "limit reached"},
           {WithReason(grpc::StatusCode::UNAUTHENTICATED,
                       "VERIFICATION_CODE_REQUIRED"),
            kExitCodeRequired, "--code"},
           {WithReason(grpc::StatusCode::UNAUTHENTICATED, "TOO_MANY_ATTEMPTS"),
            kExitLocked, "user unlock"},
           {grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"),
            kExitUnreachable, "cannot reach identityd at h:1"},
           {grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "slow"),
            kExitUnreachable, "cannot reach"},
           {grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad"),
            kExitUnauthenticated, "identityctl login"},
           {grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no"),
            kExitPermissionDenied, "permission denied"},
           {grpc::Status(grpc::StatusCode::NOT_FOUND, "gone"), kExitNotFound,
            "not found"},
           {grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "dup"),
            kExitAlreadyExists, "already exists"},
           {grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad field"),
            kExitRejected, "bad field"},
           {grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy"),
            kExitBusy, "try again later"},
           {grpc::Status(grpc::StatusCode::INTERNAL, "internal error"),
            kExitFailure, "internal error"},
       }) {
    const Explanation explanation = ExplainCallFailure(c.status, "", "h:1");
    EXPECT_EQ(explanation.exit_code, c.exit_code) << c.says;
    EXPECT_NE(explanation.message.find(c.says), std::string::npos)
        << explanation.message;
  }
}

TEST(CallFailure, UnreachableSaysWhichFlagToLookAt) {
  const grpc::Status refused(
      grpc::StatusCode::UNAVAILABLE,
      "failed to connect to all addresses; last error: UNKNOWN: "
      "ipv4:127.0.0.1:1: Failed to connect to remote host: Connection "
      "refused");
  const grpc::Status closed(grpc::StatusCode::UNAVAILABLE,
                            "failed to connect to all addresses; last error: "
                            "UNAVAILABLE: ipv4:127.0.0.1:2: Socket closed");
  const grpc::Status handshake(
      grpc::StatusCode::UNAVAILABLE,
      "failed to connect to all addresses; last error: UNKNOWN: "
      "ipv4:127.0.0.1:3: Ssl handshake failed: SSL_ERROR_SSL");
  EXPECT_NE(
      ExplainCallFailure(refused, "", "h:1")
          .message.find(
              "cannot reach identityd at h:1: is identityd running there? "
              "Start it (./deploy/dev-run.sh), or point --server"),
      std::string::npos);
  EXPECT_NE(ExplainCallFailure(closed, "", "h:1", /*over_tls=*/false)
                .message.find("if identityd serves TLS, pass --tls-ca"),
            std::string::npos);
  EXPECT_NE(ExplainCallFailure(handshake, "", "h:1", /*over_tls=*/true)
                .message.find("if identityd serves plaintext, drop --tls-ca"),
            std::string::npos);
  EXPECT_EQ(ExplainCallFailure(handshake, "", "h:1", true).exit_code,
            kExitUnreachable);
}

TEST(CallFailure, QuotesTheRequestId) {
  EXPECT_NE(ExplainCallFailure(grpc::Status(grpc::StatusCode::INTERNAL, "x"),
                               "abc-0001", "h:1")
                .message.find("[request id abc-0001]"),
            std::string::npos);
}

TEST(CallFailure, LocalFailuresMapToUsageUnlessTheyAreConflicts) {
  EXPECT_EQ(ExplainLocalFailure(absl::AlreadyExistsError("x")).exit_code,
            kExitAlreadyExists);
  EXPECT_EQ(ExplainLocalFailure(absl::InvalidArgumentError("x")).exit_code,
            kExitUsage);
  EXPECT_EQ(ExplainLocalFailure(absl::UnauthenticatedError("x")).exit_code,
            kExitUnauthenticated);
}

}  // namespace
}  // namespace identity::identityctl
