#include "service/identityctl/saved_session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/identityctl/password_input.h"
#include "service/identityctl/private_file.h"

namespace identity::identityctl {

std::string DefaultSessionFile() {
  if (const char* file = std::getenv("IDENTITYCTL_SESSION_FILE");
      file != nullptr && *file != '\0') {
    return file;
  }
  if (const char* config = std::getenv("XDG_CONFIG_HOME");
      config != nullptr && *config != '\0') {
    return absl::StrCat(config, "/identityctl/session");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".",
                      "/.config/identityctl/session");
}

absl::StatusOr<SavedSession> LoadSession(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError("no saved session");
  }
  absl::StatusOr<std::string> text = ReadSecretFile(path);
  if (!text.ok()) return text.status();
  SavedSession session;
  int64_t expire_seconds = 0;
  bool has_expiry = false;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (field.first == "server") session.server = std::string(field.second);
    if (field.first == "user") session.user_name = std::string(field.second);
    if (field.first == "token") session.token = std::string(field.second);
    if (field.first == "expires") {
      has_expiry = absl::SimpleAtoi(field.second, &expire_seconds);
    }
  }
  if (session.server.empty() || session.token.empty() || !has_expiry) {
    return absl::DataLossError(
        absl::StrCat(path,
                     " is not a session file identityctl wrote; "
                     "run identityctl logout to remove it"));
  }
  session.expire_time = absl::FromUnixSeconds(expire_seconds);
  return session;
}

absl::Status SaveSession(const std::string& path, const SavedSession& session) {
  const std::string text = absl::StrCat(
      "server=", session.server, "\nuser=", session.user_name,
      "\ntoken=", session.token,
      "\nexpires=", absl::ToUnixSeconds(session.expire_time), "\n");
  return WritePrivateFile(path, text, /*overwrite=*/true);
}

absl::Status RemoveSession(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot remove ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace identity::identityctl
