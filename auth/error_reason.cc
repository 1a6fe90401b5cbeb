#include "auth/error_reason.h"

#include "absl/strings/cord.h"
#include "absl/types/optional.h"

namespace identity::auth {
namespace {
constexpr absl::string_view kReasonPayloadUrl = "identity.v1/error-reason";
}  // namespace

absl::Status WithReason(absl::Status status, absl::string_view reason) {
  status.SetPayload(kReasonPayloadUrl, absl::Cord(reason));
  return status;
}

std::optional<std::string> ReasonOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kReasonPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

}  // namespace identity::auth
