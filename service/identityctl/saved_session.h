#ifndef IDENTITY_SERVICE_IDENTITYCTL_SAVED_SESSION_H_
#define IDENTITY_SERVICE_IDENTITYCTL_SAVED_SESSION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace identity::identityctl {

// What `identityctl login` keeps so later commands need no password: the
// session token (a bearer credential, so the file is mode 0600 in a 0700
// directory), whom and which server it is for, and when it expires.
struct SavedSession {
  std::string server;
  std::string user_name;
  std::string token;
  absl::Time expire_time;
};

// $IDENTITYCTL_SESSION_FILE, else $XDG_CONFIG_HOME/identityctl/session,
// else ~/.config/identityctl/session.
std::string DefaultSessionFile();

// NotFound when there is no file; DataLoss when it is not one we wrote.
absl::StatusOr<SavedSession> LoadSession(const std::string& path);
// Written to a temporary file and renamed over `path`, so a crash never
// leaves half a token.
absl::Status SaveSession(const std::string& path, const SavedSession& session);
// OK if there was none.
absl::Status RemoveSession(const std::string& path);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_SAVED_SESSION_H_
