// create-key, list-keys, update-key, delete-key, rotate-key.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "service/identityctl/command.h"
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
                   "LAST USED", "DESCRIPTION"});
  for (const v1::AccessKey& key : all.access_keys()) {
    table.AddRow(
        {key.access_key_id(), key.user_name(), StatusName(key.status()),
         key.usable() ? "yes" : "no", FormatTime(key.create_time()),
         FormatTime(key.last_used_time(), "never"), key.description()});
  }
  context.out << table.Render();
  return kExitOk;
}

// Sets one key's status and/or description.
int Update(CommandContext& context, const std::string& key_id,
           std::optional<v1::AccessKey::Status> status,
           std::optional<std::string> description) {
  v1::UpdateAccessKeyRequest request;
  request.set_access_key_id(key_id);
  if (status.has_value()) request.set_status(*status);
  if (description.has_value()) request.set_description(*description);
  auto keys = v1::AccessKeyService::NewStub(context.channel);
  v1::UpdateAccessKeyResponse response;
  return context.Invoke(Proof::kSessionOrPassword, [&](auto& call) {
    return keys->UpdateAccessKey(&call, request, &response);
  });
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
// then the old one deactivated. Deleting the old key stays a separate,
// deliberate step, once nothing uses it.
int RotateKey(CommandContext& context) {
  const std::string& old_key = context.invocation.args()[0];
  v1::AccessKey created;
  if (const int code = CreateAndSave(context, &created); code != kExitOk) {
    return code;
  }
  if (const int code =
          Update(context, old_key, v1::AccessKey::INACTIVE, std::nullopt);
      code != kExitOk) {
    context.err << "identityctl: the new key " << created.access_key_id()
                << " exists, but " << old_key
                << " is still active: deactivate it with identityctl "
                   "update-key "
                << old_key << " --status inactive\n";
    return code;
  }
  context.out << "Deactivated " << old_key << ". Delete it once nothing uses "
              << "it: identityctl delete-key " << old_key << "\n";
  return kExitOk;
}

std::vector<FlagSpec> CreateFlags() {
  return {{"user-name", true, "for this user (admins); default: yourself"},
          {"description", true, "a note kept with the key"},
          {"output", true,
           "CSV file for the secret (default credentials.csv; - for stdout)"},
          {"force", false, "overwrite --output if it exists"}};
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
       CreateFlags(), 1, 1, RotateKey},
  };
}

}  // namespace identity::identityctl
