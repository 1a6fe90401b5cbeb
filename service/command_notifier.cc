#include "service/command_notifier.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/crypto.h"
#include "service/logger.h"

extern char** environ;

namespace identity::service {
namespace {

absl::Status Unavailable(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("notify command: ", what));
}

// Writes all of `data`; false if the program closed its stdin early.
bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

CommandNotifier::CommandNotifier(std::string command, absl::Duration timeout)
    : command_(std::move(command)), timeout_(timeout) {
  // A program that exits without reading its stdin must not kill the
  // server with SIGPIPE; the write then fails with EPIPE instead.
  signal(SIGPIPE, SIG_IGN);
}

absl::Status CommandNotifier::Send(const auth::Notification& notification) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Unavailable(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  const char* argv[] = {"/bin/sh", "-c", command_.c_str(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, "/bin/sh", &actions, nullptr,
                                  const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[0]);
  if (spawned != 0) {
    close(pipe_fds[1]);
    return Unavailable(absl::StrCat("spawn: ", std::strerror(spawned)));
  }

  std::string input = absl::StrCat(
      "{\"channel\":", JsonQuote(notification.channel),
      ",\"to\":", JsonQuote(notification.destination),
      ",\"masked_to\":", JsonQuote(notification.masked_destination),
      ",\"user_name\":", JsonQuote(notification.user_name),
      ",\"message\":", JsonQuote(notification.message), "}\n");
  const bool written = WriteAll(pipe_fds[1], input);
  crypto::Cleanse(input);
  close(pipe_fds[1]);

  // Polls, so a hung program costs at most `timeout` of one worker.
  const absl::Time deadline = absl::Now() + timeout_;
  int wait_status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid, &wait_status, WNOHANG)) == 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &wait_status, 0);
    return Unavailable(absl::StrCat(
        "no exit within ", absl::FormatDuration(timeout_), ": killed"));
  }
  if (done < 0)
    return Unavailable(absl::StrCat("wait: ", std::strerror(errno)));
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    if (!written) return Unavailable("exited without reading the message");
    return absl::OkStatus();
  }
  if (WIFEXITED(wait_status)) {
    return Unavailable(
        absl::StrCat("exited with status ", WEXITSTATUS(wait_status)));
  }
  return Unavailable(absl::StrCat("killed by signal ", WTERMSIG(wait_status)));
}

}  // namespace identity::service
