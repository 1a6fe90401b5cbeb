#include "service/identityctl/call_failure.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace identity::identityctl {

std::string ErrorReason(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() ||
      !details.ParseFromString(status.error_details())) {
    return "";
  }
  for (const google::protobuf::Any& detail : details.details()) {
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&info)) return info.reason();
  }
  return "";
}

std::string RequestIdOf(const grpc::ClientContext& completed) {
  const auto& metadata = completed.GetServerInitialMetadata();
  auto id = metadata.find("x-request-id");
  if (id == metadata.end()) return "";
  return std::string(id->second.data(), id->second.size());
}

namespace {

// Why a call never reached identityd, said with the flag that fixes it.
// gRPC reports these only as text, so the text is what is matched.
std::string ExplainUnreachable(const grpc::Status& status,
                               const std::string& server, bool over_tls) {
  const std::string said = status.error_message();
  std::string hint;
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    hint =
        "no answer within --timeout: is identityd running there, and is "
        "--server right?";
  } else if (absl::StrContains(said, "Connection refused") ||
             absl::StrContains(said, "No address") ||
             absl::StrContains(said, "DNS resolution failed")) {
    hint =
        "is identityd running there? Start it (./deploy/dev-run.sh), or "
        "point --server (or $IDENTITY_SERVER) at it";
  } else if (!over_tls && absl::StrContains(said, "Socket closed")) {
    hint =
        "it closed the connection: if identityd serves TLS, pass --tls-ca "
        "CA_FILE (and --tls-cert and --tls-key if it asks for a client "
        "certificate)";
  } else if (over_tls && absl::StrContains(said, "andshake")) {
    hint =
        "the TLS handshake failed: if identityd serves plaintext, drop "
        "--tls-ca; otherwise check that --tls-ca signed its certificate "
        "and, for mTLS, --tls-cert and --tls-key";
  } else if (over_tls) {
    hint =
        "is identityd running there (--server)? If it requires a client "
        "certificate, pass --tls-cert and --tls-key";
  } else {
    hint = "is identityd running there? See --server (or $IDENTITY_SERVER)";
  }
  return absl::StrCat("cannot reach identityd at ", server, ": ", hint, " (",
                      said, ")");
}

}  // namespace

Explanation ExplainCallFailure(const grpc::Status& status,
                               const std::string& request_id,
                               const std::string& server, bool over_tls) {
  const std::string said = status.error_message();
  const std::string reason = ErrorReason(status);
  Explanation explanation{kExitFailure, ""};
  if (reason == "ACCESS_KEY_LIMIT_EXCEEDED") {
    explanation = {kExitKeyLimit,
                   absl::StrCat("access key limit reached: ", said,
                                " (identityctl list-keys; identityctl "
                                "delete-key KEY_ID)")};
  } else if (reason == "VERIFICATION_CODE_REQUIRED") {
    explanation = {
        kExitCodeRequired,
        "a verification code is required: this account has an email, "
        "mobile or MFA device bound. Run 'identityctl --user NAME "
        "send-code' (--channel sms for the mobile) or open your MFA app, "
        "then repeat the command with --code CODE. At a terminal "
        "identityctl asks for the code itself."};
  } else if (reason == "TOO_MANY_ATTEMPTS") {
    explanation = {kExitLocked,
                   absl::StrCat("locked: ", said,
                                ". Wait, or ask an admin to run "
                                "'identityctl user unlock NAME'.")};
  } else {
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        explanation = {kExitUnreachable,
                       ExplainUnreachable(status, server, over_tls)};
        break;
      case grpc::StatusCode::UNAUTHENTICATED:
        explanation = {kExitUnauthenticated,
                       absl::StrCat("authentication failed: ", said,
                                    " (identityctl login --user NAME signs "
                                    "in)")};
        break;
      case grpc::StatusCode::PERMISSION_DENIED:
        explanation = {kExitPermissionDenied,
                       absl::StrCat("permission denied: ", said)};
        break;
      case grpc::StatusCode::NOT_FOUND:
        explanation = {kExitNotFound, absl::StrCat("not found: ", said)};
        break;
      case grpc::StatusCode::ALREADY_EXISTS:
        explanation = {kExitAlreadyExists,
                       absl::StrCat("already exists: ", said)};
        break;
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::FAILED_PRECONDITION:
      case grpc::StatusCode::OUT_OF_RANGE:
        explanation = {kExitRejected, absl::StrCat("refused: ", said)};
        break;
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        explanation = {kExitBusy, absl::StrCat("try again later: ", said)};
        break;
      default:
        explanation = {kExitFailure, absl::StrCat("failed: ", said)};
    }
  }
  if (!request_id.empty()) {
    absl::StrAppend(&explanation.message, " [request id ", request_id, "]");
  }
  return explanation;
}

Explanation ExplainLocalFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kAlreadyExists:
      return {kExitAlreadyExists, std::string(status.message())};
    case absl::StatusCode::kUnauthenticated:
      return {kExitUnauthenticated, std::string(status.message())};
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
      return {kExitFailure, std::string(status.message())};
    default:
      return {kExitUsage, std::string(status.message())};
  }
}

}  // namespace identity::identityctl
