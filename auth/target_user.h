#ifndef IDENTITY_AUTH_TARGET_USER_H_
#define IDENTITY_AUTH_TARGET_USER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/principal.h"
#include "storage/records.pb.h"
#include "storage/store.h"

namespace identity::auth {

// The user a request acts on: the caller when `user_name` is empty or names
// the caller, another user only for an admin. Permission is decided before
// the lookup, so a non-admin learns nothing about which other users exist.
// `field` names the request field for InvalidArgument.
absl::StatusOr<storage::UserRecord> ResolveTargetUser(
    storage::Store& store, const Principal& caller, absl::string_view field,
    absl::string_view user_name);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_TARGET_USER_H_
