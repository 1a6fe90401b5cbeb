#include "auth/user_manager.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/audit_event.h"
#include "auth/key_generator.h"
#include "auth/paging.h"
#include "auth/reauthentication.h"
#include "auth/target_user.h"

namespace identity::auth {
namespace {

absl::Status AdminOnly(absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat("only an admin may ", what));
}

}  // namespace

UserManager::UserManager(storage::Store& store, const PasswordHasher& hasher,
                         LoginThrottle& throttle, const Clock& clock,
                         RandomSource& random, PasswordPolicy policy)
    : store_(store),
      hasher_(hasher),
      throttle_(throttle),
      clock_(clock),
      random_(random),
      policy_(policy) {}

absl::StatusOr<storage::UserRecord> UserManager::CreateUser(
    const Principal& caller, const NewUser& user) {
  if (!caller.is_admin) {
    return absl::PermissionDeniedError("only an admin may create users");
  }
  if (user.role == storage::UserRecord::ADMIN) {
    if (absl::Status s = RequirePasswordOnCall(caller, "creating an admin");
        !s.ok()) {
      return s;
    }
  }
  return Insert(caller, user);
}

absl::StatusOr<storage::UserRecord> UserManager::GetUser(
    const Principal& caller, absl::string_view user_name) {
  return ResolveTargetUser(store_, caller, "user_name", user_name);
}

absl::StatusOr<UserPage> UserManager::ListUsers(const Principal& caller,
                                                int page_size,
                                                absl::string_view page_token) {
  if (!caller.is_admin) return AdminOnly("list users");
  absl::StatusOr<PageRequest> request =
      ParsePageRequest(page_size, page_token, [](absl::string_view key) {
        return ValidateUserName("page_token", key).ok();
      });
  if (!request.ok()) return request.status();
  absl::StatusOr<std::vector<storage::UserRecord>> users =
      store_.ListUsers(request->after_key, request->limit);
  if (!users.ok()) return users.status();
  UserPage page;
  page.next_page_token =
      NextPageToken(*request, static_cast<int>(users->size()),
                    users->empty() ? "" : users->back().user_name());
  page.users = *std::move(users);
  return page;
}

absl::StatusOr<storage::UserRecord> UserManager::UpdateUser(
    const Principal& caller, absl::string_view user_name,
    const UserUpdate& update) {
  if (!caller.is_admin) return AdminOnly("update users");
  if (absl::Status s = ValidateUserName("user_name", user_name); !s.ok()) {
    return s;
  }
  if (update.display_name.has_value()) {
    if (absl::Status s = ValidateText("display_name", *update.display_name,
                                      kMaxDisplayNameLength);
        !s.ok()) {
      return s;
    }
  }
  if (update.email.has_value()) {
    if (absl::Status s = ValidateEmail("email", *update.email); !s.ok()) {
      return s;
    }
  }
  if (update.mobile.has_value()) {
    if (absl::Status s = ValidateMobile("mobile", *update.mobile); !s.ok()) {
      return s;
    }
  }
  if (update.role.has_value() && *update.role != storage::UserRecord::USER &&
      *update.role != storage::UserRecord::ADMIN) {
    return absl::InvalidArgumentError("role: must be USER or ADMIN");
  }
  // What could hand another user's account to whoever holds this session:
  // their second-factor channels, admin rights, or reviving a user an
  // admin disabled. Disabling and renaming stay cheap (they defend).
  if (update.email || update.mobile || update.role ||
      (update.enabled.has_value() && *update.enabled)) {
    if (absl::Status s = RequirePasswordOnCall(
            caller, "changing a user's email, mobile, role or enabling them");
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<storage::UserRecord> user = store_.GetUserByName(user_name);
  if (absl::IsNotFound(user.status())) {
    return absl::NotFoundError("user not found");
  }
  if (!user.ok()) return user.status();
  const bool disabling = update.enabled.has_value() && !*update.enabled;
  // Which fields changed; the values of personal ones stay out of the log.
  std::vector<std::string> changes;
  if (update.display_name) changes.push_back("display_name");
  if (update.email) changes.push_back("email");
  if (update.mobile) changes.push_back("mobile");
  if (update.enabled) {
    changes.push_back(*update.enabled ? "enabled=true" : "enabled=false");
  }
  if (update.role) {
    changes.push_back(
        absl::StrCat("role=", storage::UserRecord::Role_Name(*update.role)));
  }
  absl::StatusOr<storage::UserRecord> updated = store_.UpdateUser(
      user->user_id(),
      [&](storage::UserRecord& record) {
        if (update.display_name) record.set_display_name(*update.display_name);
        if (update.email) record.set_email(*update.email);
        if (update.mobile) record.set_mobile(*update.mobile);
        if (update.enabled) record.set_disabled(!*update.enabled);
        if (update.role) record.set_role(*update.role);
        record.set_update_time_micros(absl::ToUnixMicros(clock_.Now()));
        return absl::OkStatus();
      },
      /*revoke_sessions=*/disabling,
      AuditEvents(storage::AuditEventRecord::USER_UPDATED, caller, clock_,
                  user->user_id(), user->user_name(), "",
                  absl::StrJoin(changes, " ")));
  if (absl::IsNotFound(updated.status())) {
    return absl::NotFoundError("user not found");
  }
  return updated;
}

absl::Status UserManager::DeleteUser(const Principal& caller,
                                     absl::string_view user_name) {
  if (!caller.is_admin) return AdminOnly("delete users");
  if (absl::Status s = RequirePasswordOnCall(caller, "deleting a user");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateUserName("user_name", user_name); !s.ok()) {
    return s;
  }
  absl::StatusOr<storage::UserRecord> user = store_.GetUserByName(user_name);
  if (absl::IsNotFound(user.status())) {
    return absl::NotFoundError("user not found");
  }
  if (!user.ok()) return user.status();
  absl::Status status = store_.DeleteUser(
      user->user_id(),
      AuditEvents(storage::AuditEventRecord::USER_DELETED, caller, clock_,
                  user->user_id(), user->user_name()));
  if (absl::IsNotFound(status)) return absl::NotFoundError("user not found");
  return status;
}

absl::Status UserManager::SetPassword(const Principal& caller,
                                      absl::string_view user_name,
                                      absl::string_view new_password) {
  const bool self =
      user_name.empty() || absl::EqualsIgnoreCase(user_name, caller.user_name);
  // Yours needs the current one; another user's (a reset) too, so that a
  // stolen admin session cannot take over accounts.
  if (absl::Status s = RequirePasswordOnCall(
          caller, self ? "changing your own password"
                       : "resetting another user's password");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<storage::UserRecord> user =
      ResolveTargetUser(store_, caller, "user_name", user_name);
  if (!user.ok()) return user.status();
  if (absl::Status s = ValidatePassword("new_password", new_password,
                                        user->user_name(), policy_);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> hash = hasher_.Hash(new_password);
  if (!hash.ok()) return hash.status();
  absl::StatusOr<storage::UserRecord> updated = store_.UpdateUser(
      user->user_id(),
      [&](storage::UserRecord& record) {
        record.set_password_hash(*hash);
        record.set_update_time_micros(absl::ToUnixMicros(clock_.Now()));
        record.set_password_change_time_micros(record.update_time_micros());
        return absl::OkStatus();
      },
      /*revoke_sessions=*/true,
      AuditEvents(storage::AuditEventRecord::PASSWORD_SET, caller, clock_,
                  user->user_id(), user->user_name()));
  if (absl::IsNotFound(updated.status())) {
    return absl::NotFoundError("user not found");
  }
  return updated.status();
}

absl::Status UserManager::UnlockUser(const Principal& caller,
                                     absl::string_view user_name) {
  if (!caller.is_admin) return AdminOnly("unlock users");
  if (absl::Status s = ValidateUserName("user_name", user_name); !s.ok()) {
    return s;
  }
  // Unknown names can be locked too (attempts are counted whether or not
  // the user exists), so unlocking one is not an error.
  absl::StatusOr<storage::UserRecord> user = store_.GetUserByName(user_name);
  if (!user.ok() && !absl::IsNotFound(user.status())) return user.status();
  return throttle_.Unlock(
      user_name, user.ok(),
      AuditEvents(storage::AuditEventRecord::USER_UNLOCKED, caller, clock_,
                  user.ok() ? user->user_id() : "",
                  throttle_.RecordedName(user_name, user.ok())));
}

absl::Status UserManager::ResetAdminOnHost(absl::string_view user_name,
                                           absl::string_view new_password) {
  absl::StatusOr<storage::UserRecord> user = store_.GetUserByName(user_name);
  if (absl::IsNotFound(user.status())) {
    return absl::NotFoundError(absl::StrCat("no user is called ", user_name));
  }
  if (!user.ok()) return user.status();
  if (user->role() != storage::UserRecord::ADMIN) {
    return absl::FailedPreconditionError(absl::StrCat(
        user->user_name(),
        " is not an admin: reset-admin is for a locked or lost admin; an "
        "admin can reset other users"));
  }
  if (absl::Status s = ValidatePassword("new_password", new_password,
                                        user->user_name(), policy_);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> hash = hasher_.Hash(new_password);
  if (!hash.ok()) return hash.status();
  Principal host;
  host.user_name = "host:reset-admin";
  absl::StatusOr<storage::UserRecord> updated = store_.UpdateUser(
      user->user_id(),
      [&](storage::UserRecord& record) {
        record.set_password_hash(*hash);
        record.set_disabled(false);
        record.set_update_time_micros(absl::ToUnixMicros(clock_.Now()));
        record.set_password_change_time_micros(record.update_time_micros());
        return absl::OkStatus();
      },
      /*revoke_sessions=*/true,
      AuditEvents(storage::AuditEventRecord::PASSWORD_SET, host, clock_,
                  user->user_id(), user->user_name(), "", "break-glass"));
  if (!updated.ok()) return updated.status();
  return throttle_.Unlock(
      user->user_name(), /*user_exists=*/true,
      AuditEvents(storage::AuditEventRecord::USER_UNLOCKED, host, clock_,
                  user->user_id(), user->user_name(), "", "break-glass"));
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
  // Nobody is signed in yet: the event has no actor.
  absl::StatusOr<storage::UserRecord> created = Insert(Principal(), admin);
  // Replicas sharing one store may start at once: the one that lost the
  // race for the admin's name finds the store bootstrapped.
  if (absl::IsAlreadyExists(created.status())) return false;
  if (!created.ok()) return created.status();
  return true;
}

absl::StatusOr<storage::UserRecord> UserManager::Insert(const Principal& caller,
                                                        const NewUser& user) {
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
  record.set_password_change_time_micros(now);
  absl::Status status = store_.CreateUser(
      record, AuditEvents(storage::AuditEventRecord::USER_CREATED, caller,
                          clock_, record.user_id(), record.user_name(), "",
                          absl::StrCat("role=", storage::UserRecord::Role_Name(
                                                    record.role()))));
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError("user_name: a user of that name exists");
  }
  if (!status.ok()) return status;
  return record;
}

}  // namespace identity::auth
