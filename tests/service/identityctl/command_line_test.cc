#include "service/identityctl/command_line.h"

#include "gtest/gtest.h"

namespace identity::identityctl {
namespace {

const std::vector<FlagSpec>& Flags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"server", true, ""}, {"password-file", true, ""}, {"json", false, ""}};
  return *flags;
}

TEST(CommandLine, ValuesSwitchesAndArgumentsInAnyOrder) {
  absl::StatusOr<Invocation> parsed =
      ParseCommandLine({"--server=h:1", "user", "get", "--json", "alice",
                        "--password_file", "pw", "--", "--not-a-flag"},
                       Flags(), /*words=*/2);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->value("server"), "h:1");
  // Dashes and underscores name the same flag.
  EXPECT_EQ(parsed->value("password-file"), "pw");
  EXPECT_EQ(parsed->value("password_file"), "pw");
  EXPECT_TRUE(parsed->has("json"));
  EXPECT_FALSE(parsed->has("missing"));
  EXPECT_EQ(parsed->value_or("missing", "fallback"), "fallback");
  EXPECT_EQ(parsed->args(),
            (std::vector<std::string>{"alice", "--not-a-flag"}));
}

TEST(CommandLine, MistakesAreInvalidArgumentNamingTheFlag) {
  struct Case {
    std::vector<std::string> argv;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--password", "hunter2"}, "unknown flag --password"},
           {{"--server"}, "--server needs a value"},
           {{"--server=a", "--server=b"}, "--server given twice"},
           {{"--json=yes"}, "--json takes no value"},
       }) {
    absl::StatusOr<Invocation> parsed = ParseCommandLine(c.argv, Flags(), 0);
    ASSERT_FALSE(parsed.ok()) << c.message;
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status()));
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos)
        << parsed.status();
    // A value given to a flag is never repeated in the message.
    EXPECT_EQ(parsed.status().message().find("hunter2"), std::string::npos);
  }
}

}  // namespace
}  // namespace identity::identityctl
