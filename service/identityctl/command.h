#ifndef IDENTITY_SERVICE_IDENTITYCTL_COMMAND_H_
#define IDENTITY_SERVICE_IDENTITYCTL_COMMAND_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "service/identityctl/call_authorizer.h"
#include "service/identityctl/command_line.h"
#include "service/identityctl/exit_codes.h"

namespace identity::identityctl {

// What a command runs with.
struct CommandContext {
  const Invocation& invocation;
  std::shared_ptr<grpc::Channel> channel;
  CallAuthorizer& authorizer;
  std::string server;
  std::ostream& out;
  std::ostream& err;
  // Whether the channel speaks TLS, so a connection failure names the
  // right flags.
  bool over_tls = false;

  // Authorizes a call with `proof`, makes it, and on failure explains it on
  // `err`. Returns kExitOk or the failure's exit code. When the call wants
  // a verification code that was not given and a person is at the
  // terminal, asks for one (see second_factor_prompt.h) and makes the call
  // once more with it.
  int Invoke(Proof proof,
             const std::function<grpc::Status(grpc::ClientContext&)>& call);
  // Explains a failure that is not a call's on `err`; returns its code.
  int Fail(const absl::Status& status);
};

// Calls `list` page after page (a session or password call each) until
// the server's next_page_token is empty or `take` returns false; `take`
// keeps each page's items and may adjust `request` for the next page.
template <typename Request, typename Response>
int ListAllPages(CommandContext& context, Request& request,
                 const std::function<grpc::Status(
                     grpc::ClientContext&, const Request&, Response*)>& list,
                 const std::function<bool(Response&)>& take) {
  do {
    Response page;
    const int code = context.Invoke(
        Proof::kSessionOrPassword,
        [&](grpc::ClientContext& call) { return list(call, request, &page); });
    if (code != kExitOk) return code;
    if (!take(page)) break;
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return kExitOk;
}

// One subcommand: "create-key", or two words: "user add".
struct Command {
  std::string name;
  std::string arguments;  // e.g. "KEY_ID", shown in usage
  std::string summary;
  std::vector<FlagSpec> flags;
  size_t min_args = 0;
  size_t max_args = 0;
  std::function<int(CommandContext&)> run;
};

// Each family of commands, in the order `help` lists them.
std::vector<Command> SessionCommands();
std::vector<Command> KeyCommands();
std::vector<Command> UserCommands();
std::vector<Command> AuditCommands();
std::vector<Command> ReportCommands();
std::vector<Command> HealthCommands();
std::vector<Command> VerifyCommands();
std::vector<Command> KekCommands();

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_COMMAND_H_
