#ifndef IDENTITY_AUTH_USER_MANAGER_H_
#define IDENTITY_AUTH_USER_MANAGER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/clock.h"
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

// The user rules: admins manage users; anyone may read their own record.
// Thread-safe; CreateUser runs Argon2, so call it from the worker pool.
class UserManager {
 public:
  UserManager(storage::Store& store, const PasswordHasher& hasher,
              const Clock& clock, RandomSource& random, PasswordPolicy policy);

  absl::StatusOr<storage::UserRecord> CreateUser(const Principal& caller,
                                                 const NewUser& user);

  // `user_name` empty means the caller.
  absl::StatusOr<storage::UserRecord> GetUser(const Principal& caller,
                                              absl::string_view user_name);

  // Creates the first admin, `user_name` with `password`, if the store holds
  // no user yet. True if it did; false if users already existed.
  absl::StatusOr<bool> BootstrapAdmin(absl::string_view user_name,
                                      absl::string_view password);

 private:
  absl::StatusOr<storage::UserRecord> Insert(const NewUser& user);

  storage::Store& store_;
  const PasswordHasher& hasher_;
  const Clock& clock_;
  RandomSource& random_;
  const PasswordPolicy policy_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_USER_MANAGER_H_
