#ifndef IDENTITY_SERVICE_FILE_OUTBOX_NOTIFIER_H_
#define IDENTITY_SERVICE_FILE_OUTBOX_NOTIFIER_H_

#include <string>

#include "absl/synchronization/mutex.h"
#include "auth/notifier.h"

namespace identity::service {

// For development: appends each message as one JSON line
// {"time","channel","to","user_name","message"} to a file (mode 0600)
// instead of sending it. "to" is the masked destination. The file holds live
// codes: keep it out of log collection. It is created 0600; a symbolic
// link, or an existing file that is not ours or that others may read, is
// refused (UNAVAILABLE) and left untouched. Thread-safe.
class FileOutboxNotifier final : public auth::Notifier {
 public:
  explicit FileOutboxNotifier(std::string path) : path_(std::move(path)) {}

  absl::Status Send(const auth::Notification& notification) override;

 private:
  const std::string path_;
  absl::Mutex mu_;  // one line at a time
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_FILE_OUTBOX_NOTIFIER_H_
