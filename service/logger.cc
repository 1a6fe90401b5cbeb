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

void AppendJsonQuoted(absl::string_view value, std::string* out) {
  out->push_back('"');
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        if (c < 0x20 || c >= 0x7F) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

std::string JsonQuote(absl::string_view value) {
  std::string out;
  AppendJsonQuoted(value, &out);
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
  {
    absl::MutexLock lock(&pending_mu_);
    writing_.swap(pending_);
  }
  if (writing_.empty()) return;
  std::fwrite(writing_.data(), 1, writing_.size(), out_);
  std::fflush(out_);
  // Keeps its capacity: the two buffers take turns, so a steady stream of
  // lines allocates nothing.
  writing_.clear();
}

namespace {

// "2026-12-02T06:46:32.123Z" for `now`, appended to `out`. The part up to
// the seconds is formatted once a second per thread: absl::FormatTime
// takes a time zone lookup and a few allocations, per line that adds up.
void AppendTimestamp(absl::Time now, std::string* out) {
  thread_local int64_t formatted_second = -1;
  thread_local std::string second_prefix;
  const int64_t millis = absl::ToUnixMillis(now);
  const int64_t second = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  if (second != formatted_second) {
    second_prefix =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second),
                         absl::UTCTimeZone());
    formatted_second = second;
  }
  const int milli = static_cast<int>(millis - second * 1000);
  out->append(second_prefix);
  out->push_back('.');
  out->push_back(static_cast<char>('0' + milli / 100));
  out->push_back(static_cast<char>('0' + milli / 10 % 10));
  out->push_back(static_cast<char>('0' + milli % 10));
  out->push_back('Z');
}

}  // namespace

void Logger::Log(LogLevel level, absl::string_view event,
                 std::initializer_list<Field> fields) {
  if (level < min_level_) return;
  // Built in this thread's own buffer, which keeps its capacity: a line
  // costs no allocation, and the shared lock is held only for the copy.
  thread_local std::string line;
  line.clear();
  line.append("{\"time\":\"");
  AppendTimestamp(absl::Now(), &line);
  line.append("\",\"level\":");
  AppendJsonQuoted(LevelName(level), &line);
  line.append(",\"event\":");
  AppendJsonQuoted(event, &line);
  for (const Field& field : fields) {
    line.push_back(',');
    AppendJsonQuoted(field.first, &line);
    line.push_back(':');
    AppendJsonQuoted(field.second, &line);
  }
  line.append("}\n");
  bool write_now = level >= LogLevel::kWarning;
  {
    absl::MutexLock lock(&pending_mu_);
    pending_ += line;
    write_now = write_now || pending_.size() >= kMaxPendingBytes;
  }
  if (write_now) Flush();
}

}  // namespace identity::service
