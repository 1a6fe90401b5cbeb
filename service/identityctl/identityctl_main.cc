// identityctl: the command-line client of identityd, for users and admins.
//
//   identityctl [--server HOST:PORT] [--user NAME] COMMAND [flags] [ARGS]
//
// Passwords are read from the terminal with echo off, or from
// --password-file; never from a flag's value. Exit codes: exit_codes.h.
#include <grpc/support/log.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "service/identityctl/call_authorizer.h"
#include "service/identityctl/command.h"
#include "service/identityctl/connection.h"
#include "service/identityctl/saved_session.h"

namespace identity::identityctl {
namespace {

std::vector<FlagSpec> GlobalFlags() {
  return {
      {"server", true,
       "identityd's address (default $IDENTITY_SERVER or 127.0.0.1:50051)"},
      {"tls-ca", true, "CA bundle: speak TLS and check the server against it"},
      {"tls-cert", true, "client certificate, for mTLS"},
      {"tls-key", true, "its private key"},
      {"tls-server-name", true,
       "name the server certificate must carry, if not --server's host"},
      {"user", true, "sign in as this user (default $IDENTITY_USER)"},
      {"password-file", true,
       "read your password from this file (else asked at the terminal)"},
      {"code", true, "verification code, for accounts with a second factor"},
      {"session-file", true,
       "where login keeps the session (default $IDENTITYCTL_SESSION_FILE "
       "or ~/.config/identityctl/session)"},
      {"timeout", true, "per call, e.g. 30s"},
      {"help", false, "show help"},
  };
}

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto family :
       {SessionCommands, KeyCommands, ReportCommands, UserCommands,
        AuditCommands, KekCommands, VerifyCommands, HealthCommands}) {
    for (Command& command : family()) all.push_back(std::move(command));
  }
  return all;
}

std::string Usage(const std::vector<Command>& commands) {
  std::string text =
      "identityctl: users and access keys on identityd.\n\n"
      "usage: identityctl [global flags] COMMAND [flags] [ARGS]\n\n"
      "commands:\n";
  for (const Command& command : commands) {
    std::string head = absl::StrCat(command.name, " ", command.arguments);
    head.resize(std::max<size_t>(head.size() + 1, 30), ' ');
    absl::StrAppend(&text, "  ", head, command.summary, "\n");
  }
  text += "\nglobal flags (before or after the command):\n";
  for (const FlagSpec& flag : GlobalFlags()) {
    absl::StrAppend(&text, "  --", flag.name, flag.takes_value ? " VALUE" : "",
                    "\n      ", flag.help, "\n");
  }
  text +=
      "\nexit codes: 0 ok, 1 failure, 2 usage, 3 server unreachable, 4 not "
      "signed in, 5 permission denied, 6 not found, 7 already exists, "
      "8 access key limit reached, 9 verification code required, "
      "10 locked, 11 refused by the server, 12 busy or rate-limited.\n"
      "'identityctl COMMAND --help' shows a command's flags.\n";
  return text;
}

std::string CommandUsage(const Command& command) {
  std::string text = absl::StrCat(
      "usage: identityctl ", command.name, command.arguments.empty() ? "" : " ",
      command.arguments, " [flags]\n\n", command.summary, ".\n");
  if (!command.flags.empty()) text += "\nflags:\n";
  for (const FlagSpec& flag : command.flags) {
    absl::StrAppend(&text, "  --", flag.name, flag.takes_value ? " VALUE" : "",
                    flag.help.empty() ? "" : absl::StrCat("  ", flag.help),
                    "\n");
  }
  return text + "\nGlobal flags: identityctl help.\n";
}

// The first two words of `argv` that are not flags or flag values: the
// command's name is among them ("user add", "list-keys").
std::vector<std::string> CommandWords(const std::vector<std::string>& argv,
                                      const std::vector<Command>& commands) {
  std::vector<FlagSpec> every = GlobalFlags();
  for (const Command& command : commands) {
    every.insert(every.end(), command.flags.begin(), command.flags.end());
  }
  std::vector<std::string> found;
  for (size_t i = 0; i < argv.size() && found.size() < 2; ++i) {
    const std::string& token = argv[i];
    if (token.empty() || token[0] != '-') {
      found.push_back(token);
      continue;
    }
    if (token.find('=') != std::string::npos) continue;
    const std::string name =
        NormalizeFlagName(token.substr(token.find_first_not_of('-')));
    for (const FlagSpec& flag : every) {
      if (NormalizeFlagName(flag.name) == name && flag.takes_value) {
        ++i;
        break;
      }
    }
  }
  return found;
}

// The longest command `words` start with ("user add" before "user").
const Command* FindCommand(const std::vector<std::string>& words,
                           const std::vector<Command>& commands, int* count) {
  for (int n = static_cast<int>(words.size()); n >= 1; --n) {
    const std::string name =
        absl::StrJoin(words.begin(), words.begin() + n, " ");
    for (const Command& command : commands) {
      if (command.name == name) {
        *count = n;
        return &command;
      }
    }
  }
  return nullptr;
}

std::string EnvOr(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

int Main(const std::vector<std::string>& argv) {
  const std::vector<Command> commands = AllCommands();
  const std::vector<std::string> names = CommandWords(argv, commands);
  if (argv.empty()) {
    std::cerr << Usage(commands);
    return kExitUsage;
  }
  if (names.empty() || names[0] == "help") {
    if (names.empty() && argv[0] != "--help" && argv[0] != "-h") {
      std::cerr << "identityctl: no command given; see 'identityctl help'\n";
      return kExitUsage;
    }
    std::cout << Usage(commands);
    return kExitOk;
  }
  int words = 0;
  const Command* command = FindCommand(names, commands, &words);
  if (command == nullptr) {
    std::cerr << "identityctl: unknown command; see 'identityctl help'\n";
    return kExitUsage;
  }
  std::vector<FlagSpec> flags = GlobalFlags();
  flags.insert(flags.end(), command->flags.begin(), command->flags.end());
  absl::StatusOr<Invocation> invocation = ParseCommandLine(argv, flags, words);
  if (!invocation.ok()) {
    std::cerr << "identityctl " << command->name << ": "
              << invocation.status().message() << "\n\n"
              << CommandUsage(*command);
    return kExitUsage;
  }
  if (invocation->has("help")) {
    std::cout << CommandUsage(*command);
    return kExitOk;
  }
  const size_t args = invocation->args().size();
  if (args < command->min_args || args > command->max_args) {
    std::cerr << "identityctl " << command->name << ": wrong number of "
              << "arguments\n\n"
              << CommandUsage(*command);
    return kExitUsage;
  }

  ConnectionOptions connection;
  connection.server = invocation->value_or(
      "server", EnvOr("IDENTITY_SERVER", connection.server));
  connection.tls_ca_file = invocation->value_or("tls-ca", "");
  connection.tls_cert_file = invocation->value_or("tls-cert", "");
  connection.tls_key_file = invocation->value_or("tls-key", "");
  connection.tls_server_name = invocation->value_or("tls-server-name", "");
  if (std::optional<std::string> timeout = invocation->value("timeout")) {
    if (!absl::ParseDuration(*timeout, &connection.timeout) ||
        connection.timeout <= absl::ZeroDuration()) {
      std::cerr << "identityctl: --timeout must be a duration like 30s\n";
      return kExitUsage;
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = Connect(connection);
  if (!channel.ok()) {
    std::cerr << "identityctl: " << channel.status().message() << "\n";
    return kExitUsage;
  }
  AuthorizerOptions authorization;
  authorization.server = connection.server;
  authorization.user_name =
      invocation->value_or("user", EnvOr("IDENTITY_USER", ""));
  authorization.password_file = invocation->value_or("password-file", "");
  authorization.verification_code = invocation->value_or("code", "");
  authorization.session_file =
      invocation->value_or("session-file", DefaultSessionFile());
  authorization.has_client_certificate = connection.uses_client_certificate();
  authorization.timeout = connection.timeout;
  CallAuthorizer authorizer(std::move(authorization));

  CommandContext context{*invocation,          *channel,  authorizer,
                         connection.server,    std::cout, std::cerr,
                         connection.uses_tls()};
  return command->run(context);
}

}  // namespace
}  // namespace identity::identityctl

int main(int argc, char** argv) {
  // gRPC's own log lines ("Handshake failed with fatal error ...") would
  // come before identityctl's explanation of the same failure, in words a
  // user cannot act on; GRPC_VERBOSITY still brings them back.
  if (std::getenv("GRPC_VERBOSITY") == nullptr) {
    gpr_set_log_function([](gpr_log_func_args*) {});
  }
  return identity::identityctl::Main(
      std::vector<std::string>(argv + 1, argv + argc));
}
