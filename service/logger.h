#ifndef IDENTITY_SERVICE_LOGGER_H_
#define IDENTITY_SERVICE_LOGGER_H_

#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace identity::service {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// One JSON object a line: {"time":..., "level":..., "event":..., fields...}.
// Abseil 20220623 has no absl/log, hence this. Callers pass only values that
// are safe to keep: never a password, secret key, token or code.
// Thread-safe.
class Logger {
 public:
  using Field = std::pair<absl::string_view, std::string>;

  explicit Logger(std::FILE* out = stderr, LogLevel min_level = LogLevel::kInfo)
      : out_(out), min_level_(min_level) {}

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
  void Error(absl::string_view event,
             std::initializer_list<Field> fields = {}) {
    Log(LogLevel::kError, event, fields);
  }

 private:
  absl::Mutex mu_;
  std::FILE* const out_ ABSL_PT_GUARDED_BY(mu_);
  const LogLevel min_level_;
};

// "debug", "info", "warning" or "error" (--log_level).
bool ParseLogLevel(absl::string_view name, LogLevel* level);

// `value` as a JSON string literal, quotes included; bytes that are not
// printable ASCII are escaped, so a log line is always valid JSON.
std::string JsonQuote(absl::string_view value);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_LOGGER_H_
