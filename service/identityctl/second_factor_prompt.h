#ifndef IDENTITY_SERVICE_IDENTITYCTL_SECOND_FACTOR_PROMPT_H_
#define IDENTITY_SERVICE_IDENTITYCTL_SECOND_FACTOR_PROMPT_H_

#include <optional>
#include <string>

#include "service/identityctl/command.h"

namespace identity::identityctl {

// For a call refused with VERIFICATION_CODE_REQUIRED while a person is at
// the terminal: offers to send a code to the account's bound email (else
// mobile), then asks for the code, from that message or from an MFA app.
// Returns it, or nullopt when nothing was typed. Saves the person the two
// extra commands (send-code, then the same command again with --code).
std::optional<std::string> AskForVerificationCode(CommandContext& context);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_SECOND_FACTOR_PROMPT_H_
