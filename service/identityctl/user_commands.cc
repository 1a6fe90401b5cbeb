// user add|list|get|update|delete|set-password|unlock, mfa enroll|confirm|
// delete.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "identity/v1/user_service.grpc.pb.h"
#include "service/identityctl/command.h"
#include "service/identityctl/output_format.h"
#include "service/identityctl/password_input.h"
#include "service/identityctl/text_table.h"

namespace identity::identityctl {
namespace {

std::string RoleName(v1::User::Role role) {
  return role == v1::User::ADMIN ? "admin" : "user";
}

absl::StatusOr<v1::User::Role> ParseRole(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "admin") return v1::User::ADMIN;
  if (lower == "user") return v1::User::USER;
  return absl::InvalidArgumentError("--role must be admin or user");
}

// The password for the user being created or changed: from
// --new-password-file, or typed twice at the terminal.
absl::StatusOr<std::string> NewPassword(CommandContext& context,
                                        const std::string& user_name) {
  return ReadNewPassword(context.invocation.value_or("new-password-file", ""),
                         absl::StrCat("New password for ", user_name, ": "));
}

void PrintUser(CommandContext& context, const v1::User& user) {
  if (context.invocation.has("json")) {
    context.out << ToJson(user);
    return;
  }
  TextTable table({"FIELD", "VALUE"});
  table.AddRow({"user_name", user.user_name()});
  table.AddRow({"user_id", user.user_id()});
  table.AddRow({"display_name", user.display_name()});
  table.AddRow({"role", RoleName(user.role())});
  table.AddRow({"enabled", user.enabled() ? "yes" : "no"});
  table.AddRow({"email", user.email()});
  table.AddRow({"mobile", user.mobile()});
  table.AddRow({"mfa", user.mfa_enabled() ? "enabled" : "none"});
  table.AddRow({"created", FormatTime(user.create_time())});
  context.out << table.Render();
}

int AddUser(CommandContext& context) {
  v1::CreateUserRequest request;
  request.set_user_name(context.invocation.args()[0]);
  request.set_display_name(context.invocation.value_or("display-name", ""));
  request.set_email(context.invocation.value_or("email", ""));
  request.set_mobile(context.invocation.value_or("mobile", ""));
  if (std::optional<std::string> role = context.invocation.value("role")) {
    absl::StatusOr<v1::User::Role> parsed = ParseRole(*role);
    if (!parsed.ok()) return context.Fail(parsed.status());
    request.set_role(*parsed);
  }
  absl::StatusOr<std::string> password =
      NewPassword(context, request.user_name());
  if (!password.ok()) return context.Fail(password.status());
  request.set_password(*std::move(password));
  WipeSecret(*password);
  auto users = v1::UserService::NewStub(context.channel);
  v1::CreateUserResponse response;
  const int code = context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return users->CreateUser(&call, request, &response);
  });
  WipeSecret(*request.mutable_password());
  if (code != kExitOk) return code;
  context.out << "Created user " << response.user().user_name() << " ("
              << RoleName(response.user().role()) << ", id "
              << response.user().user_id() << ").\n";
  return kExitOk;
}

int ListUsers(CommandContext& context) {
  auto users = v1::UserService::NewStub(context.channel);
  v1::ListUsersRequest request;
  request.set_page_size(100);
  v1::ListUsersResponse all;
  const int code = ListAllPages<v1::ListUsersRequest, v1::ListUsersResponse>(
      context, request,
      [&](grpc::ClientContext& call, const v1::ListUsersRequest& page,
          v1::ListUsersResponse* response) {
        return users->ListUsers(&call, page, response);
      },
      [&](v1::ListUsersResponse& page) {
        for (v1::User& user : *page.mutable_users()) {
          *all.add_users() = std::move(user);
        }
        return true;
      });
  if (code != kExitOk) return code;
  if (context.invocation.has("json")) {
    context.out << ToJson(all);
    return kExitOk;
  }
  TextTable table(
      {"USER NAME", "ROLE", "ENABLED", "MFA", "EMAIL", "MOBILE", "CREATED"});
  for (const v1::User& user : all.users()) {
    table.AddRow({user.user_name(), RoleName(user.role()),
                  user.enabled() ? "yes" : "no",
                  user.mfa_enabled() ? "yes" : "no", user.email(),
                  user.mobile(), FormatTime(user.create_time())});
  }
  context.out << table.Render();
  return kExitOk;
}

int GetUser(CommandContext& context) {
  v1::GetUserRequest request;
  if (!context.invocation.args().empty()) {
    request.set_user_name(context.invocation.args()[0]);
  }
  auto users = v1::UserService::NewStub(context.channel);
  v1::GetUserResponse response;
  const int code = context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return users->GetUser(&call, request, &response);
  });
  if (code != kExitOk) return code;
  PrintUser(context, response.user());
  return kExitOk;
}

int UpdateUser(CommandContext& context) {
  const Invocation& flags = context.invocation;
  v1::UpdateUserRequest request;
  request.set_user_name(flags.args()[0]);
  if (auto v = flags.value("display-name")) request.set_display_name(*v);
  if (auto v = flags.value("email")) request.set_email(*v);
  if (auto v = flags.value("mobile")) request.set_mobile(*v);
  if (flags.has("enable") && flags.has("disable")) {
    return context.Fail(
        absl::InvalidArgumentError("--enable and --disable contradict"));
  }
  if (flags.has("enable")) request.set_enabled(true);
  if (flags.has("disable")) request.set_enabled(false);
  if (auto v = flags.value("role")) {
    absl::StatusOr<v1::User::Role> role = ParseRole(*v);
    if (!role.ok()) return context.Fail(role.status());
    request.set_role(*role);
  }
  auto users = v1::UserService::NewStub(context.channel);
  v1::UpdateUserResponse response;
  const int code = context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return users->UpdateUser(&call, request, &response);
  });
  if (code != kExitOk) return code;
  PrintUser(context, response.user());
  return kExitOk;
}

int DeleteUser(CommandContext& context) {
  v1::DeleteUserRequest request;
  request.set_user_name(context.invocation.args()[0]);
  auto users = v1::UserService::NewStub(context.channel);
  v1::DeleteUserResponse response;
  const int code = context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return users->DeleteUser(&call, request, &response);
  });
  if (code != kExitOk) return code;
  context.out << "Deleted user " << request.user_name()
              << " and its access keys.\n";
  return kExitOk;
}

int SetPassword(CommandContext& context) {
  v1::SetPasswordRequest request;
  if (!context.invocation.args().empty()) {
    request.set_user_name(context.invocation.args()[0]);
  }
  const std::string self = context.authorizer.user_name();
  const bool own = request.user_name().empty() ||
                   absl::EqualsIgnoreCase(request.user_name(), self);
  absl::StatusOr<std::string> password =
      NewPassword(context, own ? self : request.user_name());
  if (!password.ok()) return context.Fail(password.status());
  request.set_new_password(*std::move(password));
  WipeSecret(*password);
  auto users = v1::UserService::NewStub(context.channel);
  v1::SetPasswordResponse response;
  // Changing one's own password takes the current one, not a session.
  const int code = context.Invoke(
      own ? Proof::kPassword : Proof::kSessionOrPassword, [&](auto& call) {
        return users->SetPassword(&call, request, &response);
      });
  WipeSecret(*request.mutable_new_password());
  if (code != kExitOk) return code;
  context.out << "Password changed"
              << (own ? "." : absl::StrCat(" for ", request.user_name(), "."))
              << "\n";
  return kExitOk;
}

int UnlockUser(CommandContext& context) {
  v1::UnlockUserRequest request;
  request.set_user_name(context.invocation.args()[0]);
  auto users = v1::UserService::NewStub(context.channel);
  v1::UnlockUserResponse response;
  const int code = context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return users->UnlockUser(&call, request, &response);
  });
  if (code != kExitOk) return code;
  context.out << "Unlocked " << request.user_name() << ".\n";
  return kExitOk;
}

int EnrollMfa(CommandContext& context) {
  auto users = v1::UserService::NewStub(context.channel);
  v1::EnrollMfaDeviceResponse response;
  const int code = context.Invoke(Proof::kPassword, [&](auto& call) {
    return users->EnrollMfaDevice(&call, {}, &response);
  });
  if (code != kExitOk) return code;
  // The URI holds the device's secret: shown once, on stdout only.
  context.out << "Add this to your authenticator app (shown only now):\n\n  "
              << response.otpauth_uri()
              << "\n\nThen confirm with two consecutive codes: identityctl "
                 "mfa confirm CODE1 CODE2\n";
  WipeSecret(*response.mutable_otpauth_uri());
  return kExitOk;
}

int ConfirmMfa(CommandContext& context) {
  v1::ConfirmMfaDeviceRequest request;
  request.set_first_code(context.invocation.args()[0]);
  request.set_second_code(context.invocation.args()[1]);
  auto users = v1::UserService::NewStub(context.channel);
  v1::ConfirmMfaDeviceResponse response;
  const int code = context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return users->ConfirmMfaDevice(&call, request, &response);
  });
  if (code != kExitOk) return code;
  context.out << "MFA device confirmed: sign-ins and new keys now need a "
                 "code from it (--code).\n";
  return kExitOk;
}

int DeleteMfa(CommandContext& context) {
  v1::DeleteMfaDeviceRequest request;
  if (!context.invocation.args().empty()) {
    request.set_user_name(context.invocation.args()[0]);
  }
  auto users = v1::UserService::NewStub(context.channel);
  v1::DeleteMfaDeviceResponse response;
  const int code = context.Invoke(Proof::kPassword, [&](auto& call) {
    return users->DeleteMfaDevice(&call, request, &response);
  });
  if (code != kExitOk) return code;
  context.out << "MFA device removed.\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> UserCommands() {
  const FlagSpec json{"json", false, "print JSON"};
  const FlagSpec password_file{
      "new-password-file", true,
      "file holding the new password (else typed twice at the terminal)"};
  return {
      {"user add",
       "NAME",
       "Create a user (admins)",
       {{"display-name", true, ""},
        {"email", true, "binds an email for verification codes"},
        {"mobile", true, "binds a mobile (E.164) for verification codes"},
        {"role", true, "user (default) or admin"},
        password_file},
       1,
       1,
       AddUser},
      {"user list", "", "List users (admins)", {json}, 0, 0, ListUsers},
      {"user get",
       "[NAME]",
       "Show a user (default: yourself)",
       {json},
       0,
       1,
       GetUser},
      {"user update",
       "NAME",
       "Change a user's details (admins; a user may change their own)",
       {{"display-name", true, ""},
        {"email", true, "empty to unbind"},
        {"mobile", true, "empty to unbind"},
        {"role", true, "user or admin"},
        {"enable", false, ""},
        {"disable", false, "a disabled user cannot sign in; keys stop working"},
        json},
       1,
       1,
       UpdateUser},
      {"user delete",
       "NAME",
       "Delete a user and its access keys (admins)",
       {},
       1,
       1,
       DeleteUser},
      {"user set-password",
       "[NAME]",
       "Change your password (needs the current one), or a user's (admins)",
       {password_file},
       0,
       1,
       SetPassword},
      {"user unlock",
       "NAME",
       "Lift a lockout after failed sign-ins (admins)",
       {},
       1,
       1,
       UnlockUser},
      {"mfa enroll",
       "",
       "Start binding a TOTP authenticator app",
       {},
       0,
       0,
       EnrollMfa},
      {"mfa confirm",
       "CODE1 CODE2",
       "Finish binding it with two consecutive codes",
       {},
       2,
       2,
       ConfirmMfa},
      {"mfa delete",
       "[NAME]",
       "Remove an MFA device (yours, or a user's)",
       {},
       0,
       1,
       DeleteMfa},
  };
}

}  // namespace identity::identityctl
