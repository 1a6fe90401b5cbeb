#include "service/status_mapping.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "auth/error_reason.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace identity::service {

bool IsStorageFault(const absl::Status& status) {
  return absl::IsUnavailable(status) &&
         absl::StartsWith(status.message(), "storage");
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  if (absl::IsInternal(status) || absl::IsDataLoss(status) ||
      absl::IsUnknown(status)) {
    message = "internal error";
  } else if (IsStorageFault(status)) {
    // The engine's text names files and internals: for the log only.
    message = "storage unavailable: try again later";
  }
  std::optional<std::string> reason = auth::ReasonOf(status);
  if (!reason.has_value()) return grpc::Status(code, message);

  google::rpc::ErrorInfo info;
  info.set_reason(*reason);
  info.set_domain(kErrorDomain);
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace identity::service
