#include "service/logger.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace identity::service {
namespace {

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kNotice:
      return "notice";
  }
  return "info";
}

}  // namespace

bool ParseLogLevel(absl::string_view name, LogLevel* level) {
  for (LogLevel candidate : {LogLevel::kDebug, LogLevel::kInfo,
                             LogLevel::kWarning, LogLevel::kError}) {
    if (name == LevelName(candidate)) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

std::string JsonQuote(absl::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < 0x20 || c >= 0x7F) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

namespace {
// Beyond this, the appending thread writes the batch itself.
constexpr size_t kMaxPendingBytes = 64 * 1024;
}  // namespace

Logger::Logger(std::FILE* out, LogLevel min_level,
               absl::Duration flush_interval)
    : min_level_(min_level), out_(out) {
  flusher_ = std::thread(
      [this, flush_interval] { FlushUntilStopped(flush_interval); });
}

Logger::~Logger() {
  {
    absl::MutexLock lock(&pending_mu_);
    stopping_ = true;
  }
  flusher_.join();
  Flush();
}

void Logger::FlushUntilStopped(absl::Duration interval) {
  while (true) {
    bool stopping;
    {
      absl::MutexLock lock(&pending_mu_);
      pending_mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval);
      stopping = stopping_;
    }
    Flush();
    if (stopping) return;
  }
}

void Logger::Flush() {
  absl::MutexLock write_lock(&write_mu_);
  std::string batch;
  {
    absl::MutexLock lock(&pending_mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return;
  std::fwrite(batch.data(), 1, batch.size(), out_);
  std::fflush(out_);
}

void Logger::Log(LogLevel level, absl::string_view event,
                 std::initializer_list<Field> fields) {
  if (level < min_level_) return;
  std::string line = absl::StrCat(
      "{\"time\":",
      JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                 absl::UTCTimeZone())),
      ",\"level\":", JsonQuote(LevelName(level)),
      ",\"event\":", JsonQuote(event));
  for (const Field& field : fields) {
    absl::StrAppend(&line, ",", JsonQuote(field.first), ":",
                    JsonQuote(field.second));
  }
  line += "}\n";
  bool write_now = level >= LogLevel::kWarning;
  {
    absl::MutexLock lock(&pending_mu_);
    pending_ += line;
    write_now = write_now || pending_.size() >= kMaxPendingBytes;
  }
  if (write_now) Flush();
}

}  // namespace identity::service
