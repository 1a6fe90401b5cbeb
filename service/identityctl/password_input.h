#ifndef IDENTITY_SERVICE_IDENTITYCTL_PASSWORD_INPUT_H_
#define IDENTITY_SERVICE_IDENTITYCTL_PASSWORD_INPUT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace identity::identityctl {

// Reads a password the two ways identityctl accepts one, never from a
// flag's value (which `ps` and shell history would show):
// - from `file` when it is not empty: its contents, less one trailing
//   newline;
// - otherwise from the terminal (/dev/tty) with echo off, after `prompt`.
// Without a file and without a terminal: FailedPrecondition saying so.
absl::StatusOr<std::string> ReadPassword(const std::string& file,
                                         absl::string_view prompt);

// For a new password from the terminal: asks twice and insists they match.
absl::StatusOr<std::string> ReadNewPassword(const std::string& file,
                                            absl::string_view prompt);

// Whether a person can be asked: /dev/tty opens (a controlling terminal).
bool HasTerminal();

// One line typed at the terminal (/dev/tty) after `prompt`, echoed unless
// `echo` is false; may be empty. FailedPrecondition without a terminal.
absl::StatusOr<std::string> AskAtTerminal(absl::string_view prompt, bool echo);

// Overwrites a copy of a secret before its memory is freed, and empties it.
void WipeSecret(std::string& secret);

// A file's contents less one trailing newline (CR LF or LF).
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_PASSWORD_INPUT_H_
