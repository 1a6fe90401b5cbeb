#include "service/credentials_parser.h"

#include <map>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace identity::service {
namespace {

absl::StatusOr<auth::Credentials> Parse(
    std::multimap<std::string, std::string> headers) {
  static std::multimap<std::string, std::string>* keep =
      new std::multimap<std::string, std::string>();
  *keep = std::move(headers);
  std::multimap<grpc::string_ref, grpc::string_ref> metadata;
  for (const auto& [k, v] : *keep) metadata.emplace(k, v);
  return ParseCredentials(metadata);
}

std::string Basic(const std::string& user_pass) {
  return "Basic " + absl::Base64Escape(user_pass);
}

TEST(CredentialsParser, NoHeadersMeansNoCredentials) {
  auth::Credentials c = Parse({}).value();
  EXPECT_FALSE(c.password.has_value());
  EXPECT_FALSE(c.bearer_token.has_value());
  EXPECT_FALSE(c.verification_code.has_value());
}

TEST(CredentialsParser, BasicSplitsAtTheFirstColon) {
  auth::Credentials c =
      Parse({{"authorization", Basic("alice:pa:ss:word")}}).value();
  ASSERT_TRUE(c.password.has_value());
  EXPECT_EQ(c.password->user_name, "alice");
  EXPECT_EQ(c.password->password, "pa:ss:word");
}

TEST(CredentialsParser, SchemeIsCaseInsensitive) {
  auth::Credentials c =
      Parse({{"authorization", "bAsIc " + absl::Base64Escape("a:b")}}).value();
  EXPECT_EQ(c.password->user_name, "a");
  c = Parse({{"authorization", "bearer tok-123"}}).value();
  EXPECT_EQ(c.bearer_token, "tok-123");
}

TEST(CredentialsParser, VerificationCode) {
  auth::Credentials c = Parse({{"authorization", Basic("a:b")},
                               {"x-verification-code", "123456"}})
                            .value();
  EXPECT_EQ(c.verification_code, "123456");
  EXPECT_TRUE(absl::IsUnauthenticated(
      Parse({{"x-verification-code", "12a456"}}).status()));
  EXPECT_TRUE(
      absl::IsUnauthenticated(Parse({{"x-verification-code", "12"}}).status()));
}

TEST(CredentialsParser, MalformedHeadersAreUnauthenticatedWithoutEcho) {
  const std::string secretish = "hunter2hunter2";
  for (const std::string& header :
       {std::string("Basic"), std::string("Basic "), "Basic " + secretish,
        "Basic " + absl::Base64Escape("no-colon-" + secretish),
        std::string("Basic ====="), "Negotiate " + secretish,
        std::string("Bearer "), "Bearer a b\x01" + secretish,
        "Basic " + std::string(3000, 'A')}) {
    absl::Status s = Parse({{"authorization", header}}).status();
    EXPECT_TRUE(absl::IsUnauthenticated(s)) << header;
    EXPECT_EQ(s.message().find(secretish), std::string::npos) << s;
  }
}

TEST(CredentialsParser, DuplicateHeadersAreRefused) {
  EXPECT_TRUE(absl::IsUnauthenticated(
      Parse({{"authorization", Basic("a:b")}, {"authorization", Basic("c:d")}})
          .status()));
}

}  // namespace
}  // namespace identity::service
