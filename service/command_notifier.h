#ifndef IDENTITY_SERVICE_COMMAND_NOTIFIER_H_
#define IDENTITY_SERVICE_COMMAND_NOTIFIER_H_

#include <string>

#include "absl/time/time.h"
#include "auth/notifier.h"

namespace identity::service {

// Hands each message to an operator's program, so sendmail or an SMS
// gateway script can plug in: runs `/bin/sh -c <command>` with one JSON
// object on stdin, {"channel","to","masked_to","user_name","message"}
// ("to" in full: the program must deliver). Exit status 0 means delivered;
// anything else, or no exit within `timeout` (the program is then killed),
// is Unavailable. The program's stdout is discarded; its stderr is the
// server's. Thread-safe: each message runs its own process.
class CommandNotifier final : public auth::Notifier {
 public:
  explicit CommandNotifier(std::string command,
                           absl::Duration timeout = absl::Seconds(10));

  absl::Status Send(const auth::Notification& notification) override;

 private:
  const std::string command_;
  const absl::Duration timeout_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_COMMAND_NOTIFIER_H_
