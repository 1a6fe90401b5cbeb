#ifndef IDENTITY_AUTH_USER_MANAGER_H_
#define IDENTITY_AUTH_USER_MANAGER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/clock.h"
#include "auth/login_throttle.h"
#include "auth/password_hasher.h"
#include "auth/principal.h"
#include "auth/random_source.h"
#include "auth/validation.h"
#include "storage/records.pb.h"
#include "storage/store.h"

namespace identity::auth {

struct NewUser {
  std::string user_name;
  std::string password;  // secret: never logged
  std::string display_name;
  storage::UserRecord::Role role = storage::UserRecord::USER;
  std::string email;
  std::string mobile;
};

// The changes UpdateUser may make; unset fields stay as they are.
struct UserUpdate {
  std::optional<std::string> display_name;
  std::optional<std::string> email;   // "" unbinds
  std::optional<std::string> mobile;  // "" unbinds
  std::optional<bool> enabled;
  std::optional<storage::UserRecord::Role> role;
};

struct UserPage {
  std::vector<storage::UserRecord> users;
  std::string next_page_token;  // empty on the last page
};

// The user rules: admins manage users; anyone may read their own record and
// change their own password (with the current one).
// Thread-safe; CreateUser runs Argon2, so call it from the worker pool.
class UserManager {
 public:
  UserManager(storage::Store& store, const PasswordHasher& hasher,
              LoginThrottle& throttle, const Clock& clock, RandomSource& random,
              PasswordPolicy policy);

  absl::StatusOr<storage::UserRecord> CreateUser(const Principal& caller,
                                                 const NewUser& user);

  // `user_name` empty means the caller.
  absl::StatusOr<storage::UserRecord> GetUser(const Principal& caller,
                                              absl::string_view user_name);

  // Admins only; by user name, a page at a time.
  absl::StatusOr<UserPage> ListUsers(const Principal& caller, int page_size,
                                     absl::string_view page_token);

  // Admins only. Disabling a user also ends their sessions. The last
  // enabled admin cannot be demoted or disabled (FailedPrecondition).
  absl::StatusOr<storage::UserRecord> UpdateUser(const Principal& caller,
                                                 absl::string_view user_name,
                                                 const UserUpdate& update);

  // Admins only; takes the user's keys and sessions with them. The last
  // enabled admin cannot be deleted.
  absl::Status DeleteUser(const Principal& caller, absl::string_view user_name);

  // An admin resetting another user's password, or a user changing their
  // own, which needs the current password on this call (not a session).
  // Either ends every session of the user.
  absl::Status SetPassword(const Principal& caller, absl::string_view user_name,
                           absl::string_view new_password);

  // Admins only: lifts a lockout of `user_name` at once.
  absl::Status UnlockUser(const Principal& caller, absl::string_view user_name);

  // Creates the first admin, `user_name` with `password`, if the store holds
  // no user yet. True if it did; false if users already existed.
  absl::StatusOr<bool> BootstrapAdmin(absl::string_view user_name,
                                      absl::string_view password);

  // Break glass, for the operator on the host (`identityd reset-admin`),
  // never reachable over the network: gives the admin `user_name` the
  // password `new_password`, enables them, ends their sessions and lifts
  // every lock on the name. FailedPrecondition if the user is not an admin.
  absl::Status ResetAdminOnHost(absl::string_view user_name,
                                absl::string_view new_password);

 private:
  absl::StatusOr<storage::UserRecord> Insert(const Principal& caller,
                                             const NewUser& user);

  storage::Store& store_;
  const PasswordHasher& hasher_;
  LoginThrottle& throttle_;
  const Clock& clock_;
  RandomSource& random_;
  const PasswordPolicy policy_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_USER_MANAGER_H_
