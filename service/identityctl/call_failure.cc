#include "service/identityctl/call_failure.h"

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

Explanation ExplainCallFailure(const grpc::Status& status,
                               const std::string& request_id,
                               const std::string& server) {
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
        "mobile or MFA device bound. Run 'identityctl send-code --channel "
        "email' (or sms), or open your MFA app, then repeat the command "
        "with --code CODE."};
  } else if (reason == "TOO_MANY_ATTEMPTS") {
    explanation = {kExitLocked,
                   absl::StrCat("locked: ", said,
                                ". Wait, or ask an admin to run "
                                "'identityctl user unlock NAME'.")};
  } else {
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        explanation = {
            kExitUnreachable,
            absl::StrCat("cannot reach identityd at ", server, ": ", said)};
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
