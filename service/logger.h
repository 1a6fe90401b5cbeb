#ifndef IDENTITY_SERVICE_LOGGER_H_
#define IDENTITY_SERVICE_LOGGER_H_

#include <cstdio>
#include <initializer_list>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace identity::service {

// kNotice is for the few lines that mark the server's life (serving,
// shutting down, stopped): written whatever the minimum level, so that
// --log_level=error still says where the server listens and when it
// stopped. It cannot be chosen as a minimum.
enum class LogLevel { kDebug, kInfo, kWarning, kError, kNotice };

// One JSON object a line: {"time":..., "level":..., "event":..., fields...}.
// Abseil 20220623 has no absl/log, hence this. Callers pass only values that
// are safe to keep: never a password, secret key, token or code.
//
// Info and debug lines (one per call, at thousands of calls a second) are
// buffered and written by a background thread every `flush_interval`, or
// sooner when 64 KiB are waiting: one write(2) per batch instead of one
// per call, made outside the lock callers append under. Notices, warnings
// and errors are written at once, with everything buffered before them,
// in order. A process killed with SIGKILL loses at most `flush_interval`
// of info lines; destruction writes everything. Thread-safe.
class Logger {
 public:
  // The value is only read during the call: a temporary string is fine.
  using Field = std::pair<absl::string_view, absl::string_view>;

  explicit Logger(std::FILE* out = stderr, LogLevel min_level = LogLevel::kInfo,
                  absl::Duration flush_interval = absl::Milliseconds(100));
  ~Logger();

  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Whether a line of `level` would be written: lets callers skip building
  // the fields of lines nobody keeps.
  bool Enabled(LogLevel level) const { return level >= min_level_; }

  void Log(LogLevel level, absl::string_view event,
           std::initializer_list<Field> fields = {});
  void Info(absl::string_view event, std::initializer_list<Field> fields = {}) {
    Log(LogLevel::kInfo, event, fields);
  }
  void Warning(absl::string_view event,
               std::initializer_list<Field> fields = {}) {
    Log(LogLevel::kWarning, event, fields);
  }
  void Notice(absl::string_view event,
              std::initializer_list<Field> fields = {}) {
    Log(LogLevel::kNotice, event, fields);
  }
  void Error(absl::string_view event,
             std::initializer_list<Field> fields = {}) {
    Log(LogLevel::kError, event, fields);
  }

  // Writes every line logged so far (tests read the file after this).
  void Flush();

 private:
  void FlushUntilStopped(absl::Duration interval);

  const LogLevel min_level_;
  // Lines waiting to be written.
  absl::Mutex pending_mu_;
  std::string pending_ ABSL_GUARDED_BY(pending_mu_);
  bool stopping_ ABSL_GUARDED_BY(pending_mu_) = false;
  // The batch being written; swapped with pending_.
  std::string writing_ ABSL_GUARDED_BY(write_mu_);
  // Held across a write, so batches reach the file in the order taken.
  // Acquired before pending_mu_, never after.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(pending_mu_);
  std::FILE* const out_ ABSL_PT_GUARDED_BY(write_mu_);
  std::thread flusher_;
};

// "debug", "info", "warning" or "error" (--log_level).
bool ParseLogLevel(absl::string_view name, LogLevel* level);

// `value` as a JSON string literal, quotes included; bytes that are not
// printable ASCII are escaped, so a log line is always valid JSON.
std::string JsonQuote(absl::string_view value);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_LOGGER_H_
