#ifndef IDENTITY_AUTH_ERROR_REASON_H_
#define IDENTITY_AUTH_ERROR_REASON_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace identity::auth {

// Machine-readable reasons, sent to clients as google.rpc.ErrorInfo.reason
// (domain "identity.v1") where they must tell failures apart.
inline constexpr absl::string_view kAccessKeyLimitExceeded =
    "ACCESS_KEY_LIMIT_EXCEEDED";
inline constexpr absl::string_view kVerificationCodeRequired =
    "VERIFICATION_CODE_REQUIRED";
inline constexpr absl::string_view kTooManyAttempts = "TOO_MANY_ATTEMPTS";
// The call needs the password itself (Basic), a session is not enough.
inline constexpr absl::string_view kPasswordRequired = "PASSWORD_REQUIRED";

// Attaches `reason` to `status` (an absl::Status payload) so the gRPC layer
// can turn it into an ErrorInfo without parsing messages.
absl::Status WithReason(absl::Status status, absl::string_view reason);
std::optional<std::string> ReasonOf(const absl::Status& status);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_ERROR_REASON_H_
