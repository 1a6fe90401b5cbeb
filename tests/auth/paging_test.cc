#include "auth/paging.h"

#include "gtest/gtest.h"

namespace identity::auth {
namespace {

bool AnyKey(absl::string_view) { return true; }

TEST(Paging, SizesDefaultCapAndRefuseNegatives) {
  EXPECT_EQ(ParsePageRequest(0, "", AnyKey).value().limit, kDefaultPageSize);
  EXPECT_EQ(ParsePageRequest(7, "", AnyKey).value().limit, 7);
  EXPECT_EQ(ParsePageRequest(1000000, "", AnyKey).value().limit, kMaxPageSize);
  absl::Status s = ParsePageRequest(-1, "", AnyKey).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message().rfind("page_size:", 0), 0u);
}

TEST(Paging, TokensRoundTripAndForeignOnesAreRefused) {
  PageRequest first = ParsePageRequest(2, "", AnyKey).value();
  EXPECT_EQ(first.after_key, "");
  EXPECT_EQ(NextPageToken(first, 1, "bob"), "");  // a short page is the last
  const std::string token = NextPageToken(first, 2, "bob");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(ParsePageRequest(2, token, AnyKey).value().after_key, "bob");
  auto only_alice = [](absl::string_view key) { return key == "alice"; };
  EXPECT_TRUE(
      absl::IsInvalidArgument(ParsePageRequest(2, token, only_alice).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(ParsePageRequest(2, "!!", AnyKey).status()));
}

}  // namespace
}  // namespace identity::auth
