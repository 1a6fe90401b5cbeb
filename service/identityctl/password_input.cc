#include "service/identityctl/password_input.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace identity::identityctl {
void WipeSecret(std::string& secret) {
  volatile char* bytes = secret.data();
  for (size_t i = 0; i < secret.size(); ++i) bytes[i] = 0;
  secret.clear();
}

namespace {

// `file_flag`: the flag that would have supplied it, for the message when
// there is no terminal.
absl::StatusOr<std::string> PromptWithoutEcho(absl::string_view prompt,
                                              absl::string_view file_flag) {
  if (!HasTerminal()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no terminal to ask for the password on: give ", file_flag, " FILE"));
  }
  absl::StatusOr<std::string> line = AskAtTerminal(prompt, /*echo=*/false);
  if (!line.ok()) return line;
  if (line->empty()) return absl::InvalidArgumentError("empty password");
  return line;
}

}  // namespace

bool HasTerminal() {
  const int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) return false;
  close(tty);
  return true;
}

absl::StatusOr<std::string> AskAtTerminal(absl::string_view prompt, bool echo) {
  const int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) {
    return absl::FailedPreconditionError("no terminal to ask on");
  }
  termios saved{};
  const bool is_terminal = tcgetattr(tty, &saved) == 0;
  if (is_terminal && !echo) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  if (write(tty, prompt.data(), prompt.size()) < 0) {
    // The prompt is a courtesy; the read below still works.
  }
  std::string line;
  char c;
  while (read(tty, &c, 1) == 1 && c != '\n') {
    if (c != '\r') line.push_back(c);
  }
  if (is_terminal && !echo) tcsetattr(tty, TCSAFLUSH, &saved);
  close(tty);
  return line;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

absl::StatusOr<std::string> ReadPassword(const std::string& file,
                                         absl::string_view prompt) {
  if (!file.empty()) return ReadSecretFile(file);
  return PromptWithoutEcho(prompt, "--password-file");
}

absl::StatusOr<std::string> ReadNewPassword(const std::string& file,
                                            absl::string_view prompt) {
  if (!file.empty()) return ReadSecretFile(file);
  absl::StatusOr<std::string> first =
      PromptWithoutEcho(prompt, "--new-password-file");
  if (!first.ok()) return first;
  absl::StatusOr<std::string> again =
      PromptWithoutEcho("Again: ", "--new-password-file");
  if (!again.ok()) {
    WipeSecret(*first);
    return again;
  }
  const bool same = *first == *again;
  WipeSecret(*again);
  if (!same) {
    WipeSecret(*first);
    return absl::InvalidArgumentError("the two passwords differ");
  }
  return first;
}

}  // namespace identity::identityctl
