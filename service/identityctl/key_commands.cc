// create-key, list-keys, update-key, delete-key, rotate-key.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "service/identityctl/command.h"
#include "service/identityctl/duration_flag.h"
#include "service/identityctl/output_format.h"
#include "service/identityctl/private_file.h"
#include "service/identityctl/text_table.h"

namespace identity::identityctl {
namespace {

constexpr char kCredentialsHeader[] =
    "User Name,Access Key Id,Secret Access Key\n";

std::string StatusName(v1::AccessKey::Status status) {
  switch (status) {
    case v1::AccessKey::ACTIVE:
      return "Active";
    case v1::AccessKey::INACTIVE:
      return "Inactive";
    default:
      return "Unknown";
  }
}

void SetProtoDuration(absl::Duration duration,
                      google::protobuf::Duration* out) {
  out->set_seconds(absl::ToInt64Seconds(duration));
}

// --expires-in or --expire-time, as the request's expire_after or
// expire_time (the server checks them against its maximum key age).
absl::Status SetExpiry(const Invocation& flags,
                       v1::CreateAccessKeyRequest& request) {
  std::optional<std::string> in = flags.value("expires-in");
  std::optional<std::string> at = flags.value("expire-time");
  if (in.has_value() && at.has_value()) {
    return absl::InvalidArgumentError(
        "give --expires-in or --expire-time, not both");
  }
  if (in.has_value()) {
    absl::StatusOr<absl::Duration> duration =
        ParseDurationFlag("expires-in", *in);
    if (!duration.ok()) return duration.status();
    SetProtoDuration(*duration, request.mutable_expire_after());
  }
  if (at.has_value()) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, *at, &time, &error)) {
      return absl::InvalidArgumentError(
          "--expire-time must be an RFC 3339 time like 2027-03-01T00:00:00Z");
    }
    request.mutable_expire_time()->set_seconds(absl::ToUnixSeconds(time));
  }
  return absl::OkStatus();
}

// Creates a key and saves its secret to --output (credentials.csv): the
// file is checked first, so no key is made whose secret could not be kept.
// On success `*created` is the new key.
int CreateAndSave(CommandContext& context, v1::AccessKey* created) {
  const std::string output =
      context.invocation.value_or("output", "credentials.csv");
  const bool overwrite = context.invocation.has("force");
  if (output != "-") {
    if (absl::Status s = CheckWritable(output, overwrite); !s.ok()) {
      return context.Fail(s);
    }
  }
  v1::CreateAccessKeyRequest request;
  request.set_user_name(context.invocation.value_or("user-name", ""));
  request.set_description(context.invocation.value_or("description", ""));
  if (absl::Status s = SetExpiry(context.invocation, request); !s.ok()) {
    return context.Fail(s);
  }
  auto keys = v1::AccessKeyService::NewStub(context.channel);
  v1::CreateAccessKeyResponse response;
  const int code = context.Invoke(Proof::kPassword, [&](auto& call) {
    return keys->CreateAccessKey(&call, request, &response);
  });
  if (code != kExitOk) return code;
  const v1::AccessKey& key = response.access_key();
  std::string csv = absl::StrCat(kCredentialsHeader, CsvField(key.user_name()),
                                 ",", CsvField(key.access_key_id()), ",",
                                 CsvField(response.secret_access_key()), "\n");
  if (output == "-") {
    context.out << csv << std::flush;
  } else if (absl::Status saved = WritePrivateFile(output, csv, overwrite);
             !saved.ok()) {
    context.err << "identityctl: access key " << key.access_key_id()
                << " was created, but its secret could not be saved: "
                << saved.message()
                << ". If no copy was kept, delete the key: identityctl "
                   "delete-key "
                << key.access_key_id() << "\n";
    return kExitFailure;
  } else {
    context.out << "Created access key " << key.access_key_id() << " for "
                << key.user_name() << ". Its secret is in " << output
                << " (mode 0600); it cannot be shown again.\n";
    if (key.has_expire_time()) {
      context.out << "It expires at " << FormatTime(key.expire_time()) << ".\n";
    }
  }
  *created = key;
  return kExitOk;
}

int CreateKey(CommandContext& context) {
  v1::AccessKey created;
  return CreateAndSave(context, &created);
}

// Every page of the caller's (or --user-name's, or everyone's) keys.
int ListAll(CommandContext& context, v1::ListAccessKeysResponse* all) {
  auto keys = v1::AccessKeyService::NewStub(context.channel);
  v1::ListAccessKeysRequest request;
  request.set_user_name(context.invocation.value_or("user-name", ""));
  request.set_all_users(context.invocation.has("all-users"));
  request.set_page_size(100);
  return ListAllPages<v1::ListAccessKeysRequest, v1::ListAccessKeysResponse>(
      context, request,
      [&](grpc::ClientContext& call, const v1::ListAccessKeysRequest& page,
          v1::ListAccessKeysResponse* response) {
        return keys->ListAccessKeys(&call, page, response);
      },
      [&](v1::ListAccessKeysResponse& page) {
        for (v1::AccessKey& key : *page.mutable_access_keys()) {
          *all->add_access_keys() = std::move(key);
        }
        return true;
      });
}

int ListKeys(CommandContext& context) {
  v1::ListAccessKeysResponse all;
  if (const int code = ListAll(context, &all); code != kExitOk) return code;
  if (context.invocation.has("json")) {
    context.out << ToJson(all);
    return kExitOk;
  }
  if (all.access_keys().empty()) {
    context.out << "No access keys.\n";
    return kExitOk;
  }
  TextTable table({"ACCESS KEY ID", "USER", "STATUS", "USABLE", "CREATED",
                   "LAST USED", "EXPIRES", "DESCRIPTION"});
  for (const v1::AccessKey& key : all.access_keys()) {
    // Why a key cannot be used, when the status does not say it.
    std::string usable = key.usable() ? "yes" : "no";
    if (key.expired()) {
      usable = "no (expired)";
    } else if (key.usable() && key.rotation_due()) {
      usable = "yes (rotate)";
    } else if (key.has_deactivate_time()) {
      usable = absl::StrCat(usable, " (until ",
                            FormatTime(key.deactivate_time()), ")");
    }
    table.AddRow({key.access_key_id(), key.user_name(),
                  StatusName(key.status()), usable,
                  FormatTime(key.create_time()),
                  FormatTime(key.last_used_time(), "never"),
                  FormatTime(key.expire_time(), "never"), key.description()});
  }
  context.out << table.Render();
  return kExitOk;
}

// Sets one key's status and/or description.
int SendUpdate(CommandContext& context,
               const v1::UpdateAccessKeyRequest& request,
               v1::UpdateAccessKeyResponse* response) {
  auto keys = v1::AccessKeyService::NewStub(context.channel);
  return context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return keys->UpdateAccessKey(&call, request, response);
  });
}

int Update(CommandContext& context, const std::string& key_id,
           std::optional<v1::AccessKey::Status> status,
           std::optional<std::string> description) {
  v1::UpdateAccessKeyRequest request;
  request.set_access_key_id(key_id);
  if (status.has_value()) request.set_status(*status);
  if (description.has_value()) request.set_description(*description);
  v1::UpdateAccessKeyResponse response;
  return SendUpdate(context, request, &response);
}

int UpdateKey(CommandContext& context) {
  std::optional<v1::AccessKey::Status> status;
  if (std::optional<std::string> given = context.invocation.value("status")) {
    const std::string name = absl::AsciiStrToLower(*given);
    if (name == "active") {
      status = v1::AccessKey::ACTIVE;
    } else if (name == "inactive") {
      status = v1::AccessKey::INACTIVE;
    } else {
      return context.Fail(
          absl::InvalidArgumentError("--status must be active or inactive"));
    }
  }
  std::optional<std::string> description =
      context.invocation.value("description");
  if (!status.has_value() && !description.has_value()) {
    return context.Fail(absl::InvalidArgumentError(
        "nothing to change: give --status and/or --description"));
  }
  const std::string& key_id = context.invocation.args()[0];
  if (const int code = Update(context, key_id, status, description);
      code != kExitOk) {
    return code;
  }
  context.out << "Updated access key " << key_id;
  if (status.has_value()) context.out << ": now " << StatusName(*status);
  context.out << ".\n";
  return kExitOk;
}

int DeleteKey(CommandContext& context) {
  const std::string& key_id = context.invocation.args()[0];
  v1::DeleteAccessKeyRequest request;
  request.set_access_key_id(key_id);
  auto keys = v1::AccessKeyService::NewStub(context.channel);
  v1::DeleteAccessKeyResponse response;
  const int code = context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return keys->DeleteAccessKey(&call, request, &response);
  });
  if (code != kExitOk) return code;
  context.out << "Deleted access key " << key_id << ".\n";
  return kExitOk;
}

// The console's rotation, in one step: a new key (saved like create-key),
// then the old one deactivated, at once or (--deactivate-old-after) by the
// server after a grace period in which both work. Deleting the old key
// stays a separate, deliberate step, once nothing uses it.
int RotateKey(CommandContext& context) {
  const std::string& old_key = context.invocation.args()[0];
  std::optional<absl::Duration> grace;
  if (auto text = context.invocation.value("deactivate-old-after")) {
    absl::StatusOr<absl::Duration> parsed =
        ParseDurationFlag("deactivate-old-after", *text);
    if (!parsed.ok()) return context.Fail(parsed.status());
    grace = *parsed;
  }
  v1::AccessKey created;
  if (const int code = CreateAndSave(context, &created); code != kExitOk) {
    return code;
  }
  // With a grace period the server holds the schedule and carries it out,
  // whether or not anyone is connected then.
  v1::UpdateAccessKeyRequest request;
  request.set_access_key_id(old_key);
  if (grace.has_value()) {
    SetProtoDuration(*grace, request.mutable_deactivate_after());
  } else {
    request.set_status(v1::AccessKey::INACTIVE);
  }
  v1::UpdateAccessKeyResponse response;
  if (const int code = SendUpdate(context, request, &response);
      code != kExitOk) {
    context.err << "identityctl: the new key " << created.access_key_id()
                << " exists, but " << old_key
                << " is still active: deactivate it with identityctl "
                   "update-key "
                << old_key << " --status inactive\n";
    return code;
  }
  if (grace.has_value()) {
    context.out << old_key << " stays active until "
                << FormatTime(response.access_key().deactivate_time())
                << "; then identityd deactivates it.";
  } else {
    context.out << "Deactivated " << old_key << ".";
  }
  context.out << " Delete it once nothing uses it: identityctl delete-key "
              << old_key << "\n";
  return kExitOk;
}

std::vector<FlagSpec> CreateFlags() {
  return {{"user-name", true, "for this user (admins); default: yourself"},
          {"description", true, "a note kept with the key"},
          {"output", true,
           "CSV file for the secret (default credentials.csv; - for stdout)"},
          {"force", false, "overwrite --output if it exists"},
          {"expires-in", true,
           "the key stops working after this long, e.g. 90d (default: the "
           "server's maximum key age, if it has one)"},
          {"expire-time", true, "or at this RFC 3339 time"}};
}

std::vector<FlagSpec> RotateFlags() {
  std::vector<FlagSpec> flags = CreateFlags();
  flags.push_back({"deactivate-old-after", true,
                   "keep the old key working this long (e.g. 7d, 36h), then "
                   "identityd deactivates it; default: at once"});
  return flags;
}

}  // namespace

std::vector<Command> KeyCommands() {
  return {
      {"create-key", "",
       "Create an access key; its secret goes to credentials.csv",
       CreateFlags(), 0, 0, CreateKey},
      {"list-keys",
       "",
       "List access keys",
       {{"user-name", true, "another user's keys (admins)"},
        {"all-users", false, "every user's keys (admins)"},
        {"json", false, "print JSON instead of a table"}},
       0,
       0,
       ListKeys},
      {"update-key",
       "KEY_ID",
       "Activate or deactivate a key, or change its description",
       {{"status", true, "active or inactive"},
        {"description", true, "a new description"}},
       1,
       1,
       UpdateKey},
      {"delete-key",
       "KEY_ID",
       "Delete an access key for good",
       {},
       1,
       1,
       DeleteKey},
      {"rotate-key", "OLD_KEY_ID",
       "Create a new key (saved like create-key), then deactivate the old",
       RotateFlags(), 1, 1, RotateKey},
  };
}

}  // namespace identity::identityctl
