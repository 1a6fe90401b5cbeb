#include "auth/target_user.h"

#include "absl/strings/match.h"
#include "auth/validation.h"

namespace identity::auth {

absl::StatusOr<storage::UserRecord> ResolveTargetUser(
    storage::Store& store, const Principal& caller, absl::string_view field,
    absl::string_view user_name) {
  const bool self =
      user_name.empty() || absl::EqualsIgnoreCase(user_name, caller.user_name);
  if (!self) {
    if (absl::Status s = ValidateUserName(field, user_name); !s.ok()) return s;
    if (!caller.is_admin) {
      return absl::PermissionDeniedError(
          "only an admin may act on another user");
    }
  }
  absl::StatusOr<storage::UserRecord> user =
      self ? store.GetUserById(caller.user_id) : store.GetUserByName(user_name);
  if (absl::IsNotFound(user.status())) {
    return absl::NotFoundError("user not found");
  }
  return user;
}

}  // namespace identity::auth
