#include "auth/user_manager.h"

#include "auth/key_generator.h"
#include "auth/target_user.h"

namespace identity::auth {

UserManager::UserManager(storage::Store& store, const PasswordHasher& hasher,
                         const Clock& clock, RandomSource& random,
                         PasswordPolicy policy)
    : store_(store),
      hasher_(hasher),
      clock_(clock),
      random_(random),
      policy_(policy) {}

absl::StatusOr<storage::UserRecord> UserManager::CreateUser(
    const Principal& caller, const NewUser& user) {
  if (!caller.is_admin) {
    return absl::PermissionDeniedError("only an admin may create users");
  }
  return Insert(user);
}

absl::StatusOr<storage::UserRecord> UserManager::GetUser(
    const Principal& caller, absl::string_view user_name) {
  return ResolveTargetUser(store_, caller, "user_name", user_name);
}

absl::StatusOr<bool> UserManager::BootstrapAdmin(absl::string_view user_name,
                                                 absl::string_view password) {
  absl::StatusOr<bool> has_users = store_.HasUsers();
  if (!has_users.ok()) return has_users.status();
  if (*has_users) return false;
  NewUser admin;
  admin.user_name = std::string(user_name);
  admin.password = std::string(password);
  admin.display_name = "Bootstrap administrator";
  admin.role = storage::UserRecord::ADMIN;
  absl::StatusOr<storage::UserRecord> created = Insert(admin);
  if (!created.ok()) return created.status();
  return true;
}

absl::StatusOr<storage::UserRecord> UserManager::Insert(const NewUser& user) {
  if (absl::Status s = ValidateUserName("user_name", user.user_name); !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ValidatePassword("password", user.password, user.user_name, policy_);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateText("display_name", user.display_name,
                                    kMaxDisplayNameLength);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateEmail("email", user.email); !s.ok()) return s;
  if (absl::Status s = ValidateMobile("mobile", user.mobile); !s.ok()) return s;
  if (user.role != storage::UserRecord::USER &&
      user.role != storage::UserRecord::ADMIN) {
    return absl::InvalidArgumentError("role: must be USER or ADMIN");
  }
  // Fail before paying for Argon2 when the name is visibly taken; the store
  // still decides races.
  if (store_.GetUserByName(user.user_name).ok()) {
    return absl::AlreadyExistsError("user_name: a user of that name exists");
  }

  absl::StatusOr<std::string> user_id = GenerateUserId(random_);
  if (!user_id.ok()) return user_id.status();
  absl::StatusOr<std::string> hash = hasher_.Hash(user.password);
  if (!hash.ok()) return hash.status();

  storage::UserRecord record;
  record.set_user_id(*user_id);
  record.set_user_name(user.user_name);
  record.set_display_name(user.display_name);
  record.set_role(user.role);
  record.set_password_hash(*hash);
  record.set_email(user.email);
  record.set_mobile(user.mobile);
  const int64_t now = absl::ToUnixMicros(clock_.Now());
  record.set_create_time_micros(now);
  record.set_update_time_micros(now);
  absl::Status status = store_.CreateUser(record);
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError("user_name: a user of that name exists");
  }
  if (!status.ok()) return status;
  return record;
}

}  // namespace identity::auth
