#include "service/file_outbox_notifier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/crypto.h"
#include "service/logger.h"

namespace identity::service {

absl::Status FileOutboxNotifier::Send(const auth::Notification& notification) {
  std::string line = absl::StrCat(
      "{\"time\":",
      JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                 absl::UTCTimeZone())),
      ",\"channel\":", JsonQuote(notification.channel),
      ",\"to\":", JsonQuote(notification.masked_destination),
      ",\"user_name\":", JsonQuote(notification.user_name),
      ",\"message\":", JsonQuote(notification.message), "}\n");
  absl::MutexLock lock(&mu_);
  // The outbox holds live verification codes: never through a symlink
  // (someone could point it at a file others read), and only into a
  // regular file of ours that nobody else may read.
  const int fd =
      open(path_.c_str(),
           O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  absl::Status status;
  struct stat info {};
  if (fd < 0) {
    status = absl::UnavailableError(absl::StrCat(
        "notification outbox ", path_, ": ",
        errno == ELOOP ? "is a symbolic link, refused" : std::strerror(errno)));
  } else if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) ||
             info.st_uid != geteuid() || (info.st_mode & 077) != 0) {
    status = absl::UnavailableError(absl::StrCat(
        "notification outbox ", path_,
        ": refused: not a regular file of this user with mode 0600"));
    close(fd);
  } else {
    const ssize_t written = write(fd, line.data(), line.size());
    if (written != static_cast<ssize_t>(line.size())) {
      status = absl::UnavailableError(
          absl::StrCat("notification outbox ", path_, ": short write"));
    }
    close(fd);
  }
  crypto::Cleanse(line);
  return status;
}

}  // namespace identity::service
