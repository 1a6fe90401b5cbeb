#include "auth/validation.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace identity::auth {
namespace {

TEST(Validation, UserNames) {
  for (const char* ok : {"a", "alice", "ops.team_1@corp-x", "A.B-C_D@E"}) {
    EXPECT_TRUE(ValidateUserName("user_name", ok).ok()) << ok;
  }
  EXPECT_TRUE(ValidateUserName("user_name", std::string(64, 'x')).ok());
  for (const std::string& bad :
       {std::string(), std::string(65, 'x'), std::string("al ice"),
        std::string("alice/"), std::string("al\0ce", 5), std::string("ålice"),
        std::string("alice:"), std::string("\xff")}) {
    absl::Status s = ValidateUserName("user_name", bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_EQ(s.message().rfind("user_name: ", 0), 0u) << s;
  }
}

TEST(Validation, TextCountsCharactersNotBytes) {
  // 255 three-byte characters are allowed; 256 are not.
  std::string chinese;
  for (int i = 0; i < 255; ++i) chinese += "\xe4\xb8\xad";  // U+4E2D
  EXPECT_TRUE(ValidateText("description", chinese, 255).ok());
  EXPECT_FALSE(ValidateText("description", chinese + "a", 255).ok());
  EXPECT_TRUE(ValidateText("description", "", 255).ok());
}

TEST(Validation, TextRejectsBadUtf8AndControlCharacters) {
  for (const std::string& bad :
       {std::string("\xff"), std::string("\xc0\xaf"),  // overlong '/'
        std::string("\xed\xa0\x80"),                   // surrogate
        std::string("\xf4\x90\x80\x80"),               // past U+10FFFF
        std::string("\xe4\xb8"),                       // truncated
        std::string("line\nbreak"), std::string("nul\0", 4),
        std::string("del\x7f"), std::string("c1\xc2\x85")}) {
    absl::Status s = ValidateText("description", bad, 255);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << absl::CEscape(bad);
    EXPECT_EQ(s.message().find(bad), std::string::npos);
  }
}

TEST(Validation, PasswordPolicyFollowsNist) {
  PasswordPolicy policy;
  EXPECT_TRUE(ValidatePassword("password", "eight ch", "bob", policy).ok());
  EXPECT_TRUE(
      ValidatePassword("password", std::string(256, 'p'), "bob", policy).ok());
  EXPECT_FALSE(ValidatePassword("password", "seven c", "bob", policy).ok());
  EXPECT_FALSE(
      ValidatePassword("password", std::string(257, 'p'), "bob", policy).ok());
  EXPECT_FALSE(
      ValidatePassword("password", "Alice.Smith", "alice.smith", policy).ok());
  // No composition rules: all lowercase letters is fine.
  EXPECT_TRUE(
      ValidatePassword("password", "correcthorsebattery", "bob", policy).ok());
  absl::Status s = ValidatePassword("new_password", "short", "bob", policy);
  EXPECT_EQ(s.message().rfind("new_password: ", 0), 0u);
  EXPECT_EQ(s.message().find("short"), std::string::npos);
}

TEST(Validation, Emails) {
  for (const char* ok : {"", "a@b.co", "ops+iam@corp.example.com",
                         "first.last@sub-domain.example.org"}) {
    EXPECT_TRUE(ValidateEmail("email", ok).ok()) << ok;
  }
  for (const char* bad : {"plain", "@example.com", "a@", "a@b", "a@@b.com",
                          "a@b..com", "a@-b.com", "a@b-.com", "a b@c.com",
                          "a@b.c0m", "a@b.com.", "a<b>@c.com"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateEmail("email", bad))) << bad;
  }
}

TEST(Validation, Mobiles) {
  for (const char* ok :
       {"", "+8613800000000", "+14155550123", "+44207946000"}) {
    EXPECT_TRUE(ValidateMobile("mobile", ok).ok()) << ok;
  }
  for (const char* bad : {"13800000000", "+0123456789", "+1234567",
                          "+1234567890123456", "+1 415 555 0123", "+86abc"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateMobile("mobile", bad))) << bad;
  }
}

}  // namespace
}  // namespace identity::auth
