#ifndef IDENTITY_TESTS_TESTING_CHILD_PROCESS_H_
#define IDENTITY_TESTS_TESTING_CHILD_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace identity::testing {

// A program run as a child process with stdout and stderr sent to files.
// Killed (SIGKILL) if still running when the object goes away.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv,
               const std::string& stdout_path, const std::string& stderr_path)
      : stdout_path_(stdout_path), stderr_path_(stderr_path) {
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> args;
      for (const std::string& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
      }
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exit_code_.has_value()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void Signal(int signal_number) { kill(pid_, signal_number); }

  // The exit code, or 128 + signal; nullopt if still running at `timeout`.
  std::optional<int> Wait(absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (!exit_code_.has_value() && absl::Now() < give_up) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ =
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else {
        absl::SleepFor(absl::Milliseconds(10));
      }
    }
    return exit_code_;
  }

  std::string Stdout() const { return Read(stdout_path_); }
  std::string Stderr() const { return Read(stderr_path_); }

  // Waits for identityd's "serving" log line and returns its port (0 if the
  // process exits or `timeout` passes first).
  int WaitForServingPort(absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      for (absl::string_view line : absl::StrSplit(Stderr(), '\n')) {
        if (line.find("\"event\":\"serving\"") == absl::string_view::npos) {
          continue;
        }
        const size_t at = line.find("\"port\":\"");
        int port = 0;
        if (at != absl::string_view::npos &&
            absl::SimpleAtoi(
                line.substr(at + 8, line.find('"', at + 8) - (at + 8)),
                &port)) {
          return port;
        }
      }
      if (Wait(absl::ZeroDuration()).has_value()) return 0;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return 0;
  }

 private:
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string stdout_path_;
  std::string stderr_path_;
};

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_CHILD_PROCESS_H_
