#include "service/logger.h"

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace identity::service {
namespace {

// What has reached `file` so far.
std::string Contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
  }
  return text;
}

TEST(Logger, InfoLinesWaitForTheFlusherWarningsDoNot) {
  std::FILE* file = std::tmpfile();
  {
    // An interval no test waits out: only Flush, a warning or the end
    // write the info lines.
    Logger logger(file, LogLevel::kInfo, absl::Hours(1));
    logger.Info("first", {{"n", "1"}});
    EXPECT_EQ(Contents(file), "");
    logger.Warning("second");
    const std::string written = Contents(file);
    // Both, in the order logged.
    ASSERT_LT(written.find("\"event\":\"first\""),
              written.find("\"event\":\"second\""))
        << written;
    logger.Info("third");
    logger.Flush();
    EXPECT_TRUE(absl::StrContains(Contents(file), "\"event\":\"third\""));
    logger.Info("fourth");
  }
  EXPECT_TRUE(absl::StrContains(Contents(file), "\"event\":\"fourth\""))
      << "destruction writes what is buffered";
  std::fclose(file);
}

TEST(Logger, LineHoldsTheTimeToTheMillisecondAndEscapedFields) {
  std::FILE* file = std::tmpfile();
  Logger logger(file, LogLevel::kInfo, absl::Hours(1));
  const absl::Time before = absl::Now();
  std::string temporary = "built\"for\\the\ncall\x01";
  logger.Info("escaped", {{"value", temporary}, {"empty", ""}});
  const absl::Time after = absl::Now();
  logger.Flush();
  const std::string written = Contents(file);
  EXPECT_TRUE(absl::StrContains(
      written, R"("value":"built\"for\\the\ncall\u0001","empty":"")"))
      << written;
  // {"time":"2026-12-02T06:46:32.123Z",...
  const std::string prefix = "{\"time\":\"";
  ASSERT_TRUE(absl::StartsWith(written, prefix)) << written;
  const std::string stamp = written.substr(prefix.size(), 24);
  absl::Time logged;
  std::string error;
  ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%E3SZ", stamp,
                              absl::UTCTimeZone(), &logged, &error))
      << stamp << ": " << error;
  EXPECT_GE(logged, absl::FromUnixMillis(absl::ToUnixMillis(before)));
  EXPECT_LE(logged, after);
  std::fclose(file);
}

TEST(Logger, TheFlusherWritesBufferedLinesOnItsOwn) {
  std::FILE* file = std::tmpfile();
  Logger logger(file, LogLevel::kInfo, absl::Milliseconds(10));
  logger.Info("soon");
  for (int i = 0; i < 500 && Contents(file).empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(absl::StrContains(Contents(file), "\"event\":\"soon\""));
  std::fclose(file);
}

TEST(Logger, ConcurrentLinesAreWholeAndEachThreadsInOrder) {
  std::FILE* file = std::tmpfile();
  constexpr int kThreads = 8;
  constexpr int kLines = 2000;  // past the 64 KiB batch limit
  {
    Logger logger(file, LogLevel::kInfo, absl::Milliseconds(5));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&logger, t] {
        for (int i = 0; i < kLines; ++i) {
          logger.Info("line",
                      {{"thread", absl::StrCat(t)}, {"i", absl::StrCat(i)}});
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  std::vector<int> next(kThreads, 0);
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(Contents(file), '\n')) {
    if (line.empty()) continue;
    ++lines;
    ASSERT_TRUE(absl::StartsWith(line, "{") && absl::EndsWith(line, "}"))
        << line;
    for (int t = 0; t < kThreads; ++t) {
      if (!absl::StrContains(line, absl::StrCat("\"thread\":\"", t, "\""))) {
        continue;
      }
      EXPECT_TRUE(
          absl::StrContains(line, absl::StrCat("\"i\":\"", next[t]++, "\"")))
          << line;
    }
  }
  EXPECT_EQ(lines, kThreads * kLines);
  std::fclose(file);
}

TEST(Logger, LinesBelowTheLevelAreDroppedNoticesNever) {
  std::FILE* file = std::tmpfile();
  {
    Logger logger(file, LogLevel::kError);
    logger.Info("dropped");
    logger.Warning("dropped too");
    logger.Notice("serving");
    EXPECT_FALSE(logger.Enabled(LogLevel::kInfo));
  }
  const std::string written = Contents(file);
  EXPECT_FALSE(absl::StrContains(written, "dropped"));
  EXPECT_TRUE(absl::StrContains(written, "\"level\":\"notice\""));
  std::fclose(file);
}

TEST(Logger, ParsesTheLevelsAnOperatorMayChoose) {
  LogLevel level;
  EXPECT_TRUE(ParseLogLevel("warning", &level));
  EXPECT_EQ(level, LogLevel::kWarning);
  EXPECT_FALSE(ParseLogLevel("notice", &level));
  EXPECT_FALSE(ParseLogLevel("loud", &level));
}

}  // namespace
}  // namespace identity::service
