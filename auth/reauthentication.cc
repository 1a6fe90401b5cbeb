#include "auth/reauthentication.h"

#include "absl/strings/str_cat.h"
#include "auth/error_reason.h"

namespace identity::auth {

absl::Status RequirePasswordOnCall(const Principal& caller,
                                   absl::string_view what) {
  if (caller.password_verified) return absl::OkStatus();
  return WithReason(
      absl::UnauthenticatedError(absl::StrCat(
          what,
          " requires the password on the call, not a session: send "
          "'authorization: Basic base64(user_name:password)' (and "
          "'x-verification-code' where a channel is bound)")),
      kPasswordRequired);
}

}  // namespace identity::auth
