#include "auth/signature_parser.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace identity::auth {
namespace {

constexpr char kV4Header[] =
    "AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature="
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

SignedRequest WithHeaders(std::vector<SignedRequest::Header> headers,
                          std::string query = "") {
  SignedRequest request;
  request.method = "GET";
  request.path = "/b/k";
  request.query = std::move(query);
  request.headers = std::move(headers);
  return request;
}

TEST(SignatureParser, ReadsSigV4Header) {
  ParseResult result =
      ParseSignature(WithHeaders({{"Host", "h"},
                                  {"X-Amz-Date", "20261201T101010Z"},
                                  {"Authorization", kV4Header}}));
  ASSERT_TRUE(result.ok()) << result.error_message;
  EXPECT_EQ(result.parsed.version, SignatureVersion::kAwsSigV4);
  EXPECT_EQ(result.parsed.access_key_id, "AKID");
  EXPECT_EQ(result.parsed.region, "us-east-1");
  EXPECT_EQ(result.parsed.service, "s3");
  EXPECT_EQ(result.parsed.signed_headers,
            (std::vector<std::string>{"host", "x-amz-date"}));
}

TEST(SignatureParser, RefusesMalformedAndUnsupported) {
  struct Case {
    std::vector<SignedRequest::Header> headers;
    std::string query;
    const char* code;
  };
  const std::vector<Case> cases = {
      {{}, "", "AccessDenied"},  // not signed at all
      {{{"Authorization", "Bearer x"}}, "", "AuthorizationHeaderMalformed"},
      {{{"Authorization", "AWS nocolon"}, {"Date", "x"}},
       "",
       "AuthorizationHeaderMalformed"},
      {{{"Authorization", "AWS4-HMAC-SHA256 Credential=A/1/r/s"}},
       "",
       "AuthorizationHeaderMalformed"},
      {{{"Authorization",
         "AWS4-HMAC-SHA256 Credential=A/20261201/r/s/aws4_request, "
         "SignedHeaders=x-amz-date, Signature=00"}},
       "",
       "AuthorizationHeaderMalformed"},
      // No x-amz-date.
      {{{"Authorization", kV4Header}}, "", "AccessDenied"},
      // The credential date is not the request's.
      {{{"Authorization", kV4Header}, {"x-amz-date", "20261202T000000Z"}},
       "",
       "AuthorizationHeaderMalformed"},
      {{{"Authorization", kV4Header}, {"Authorization", kV4Header}},
       "",
       "AuthorizationHeaderMalformed"},
      {{{"Authorization", kV4Header}},
       "X-Amz-Algorithm=AWS4-HMAC-SHA256",
       "InvalidArgument"},
      {{{"Authorization", kV4Header},
        {"x-amz-date", "20261201T000000Z"},
        {"X-Amz-Security-Token", "t"}},
       "",
       "InvalidToken"},
      {{{"Authorization", kV4Header},
        {"x-amz-date", "20261201T000000Z"},
        {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}},
       "",
       "NotImplemented"},
      {{{"Authorization", "AWS4-ECDSA-P256-SHA256 Credential=x"}},
       "",
       "NotImplemented"},
      {{},
       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A",
       "AuthorizationQueryParametersError"},
      {{},
       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20261201%2Fr%2Fs"
       "%2Faws4_request&X-Amz-Date=20261201T000000Z&X-Amz-Expires=604801&"
       "X-Amz-SignedHeaders=host&X-Amz-Signature="
       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "AuthorizationQueryParametersError"},
      {{},
       "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20261201%2Fr%2Fs"
       "%2Faws4_request&X-Amz-Date=20261201T000000Z&X-Amz-Expires=60&"
       "X-Amz-SignedHeaders=host&X-Amz-Security-Token=t&X-Amz-Signature="
       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "InvalidToken"},
      {{},
       "AWSAccessKeyId=A&Signature=s&Expires=soon",
       "AuthorizationQueryParametersError"},
      {{{"Authorization", "OBS AK:sig"}}, "", "AccessDenied"},  // no date
  };
  for (const Case& c : cases) {
    ParseResult result = ParseSignature(WithHeaders(c.headers, c.query));
    EXPECT_EQ(result.error_code, c.code)
        << c.query << " " << (c.headers.empty() ? "" : c.headers.front().value);
    EXPECT_FALSE(result.error_message.empty());
  }
}

TEST(SignatureParser, TellsTheVersionOfRefusedRequests) {
  ParseResult result =
      ParseSignature(WithHeaders({{"authorization", "OBS AK:sig"}}));
  EXPECT_EQ(result.parsed.version, SignatureVersion::kObsV2);
  EXPECT_EQ(result.parsed.access_key_id, "AK");
  result = ParseSignature(WithHeaders({}, "AccessKeyId=AK&Signature=s"));
  EXPECT_EQ(result.parsed.version, SignatureVersion::kObsV2);
  EXPECT_EQ(result.error_code, "AuthorizationQueryParametersError");
}

TEST(SignatureParser, ParsesHttpDates) {
  absl::Time time;
  EXPECT_TRUE(ParseHttpDate("Tue, 01 Dec 2026 22:36:44 GMT", time));
  EXPECT_EQ(absl::ToUnixSeconds(time), 1796164604);
  EXPECT_TRUE(ParseAmzDate("20261201T223644Z", time));
  EXPECT_EQ(absl::ToUnixSeconds(time), 1796164604);
  EXPECT_FALSE(ParseAmzDate("2026-12-01T22:36:44Z", time));
  EXPECT_FALSE(ParseHttpDate("yesterday", time));
}

// The IMF-fixdate is parsed by hand: it must agree with absl::ParseTime (the
// other formats' parser) on every date, and refuse what is no date.
TEST(SignatureParser, ImfFixdatesAgreeWithAbslParseTime) {
  const absl::Time start = absl::FromUnixSeconds(0);
  for (int64_t i = 0; i < 3000; ++i) {
    // About every 6.1 days over 50 years, at varied times of day.
    const absl::Time when = start + absl::Seconds(i * 527'011);
    const std::string text = absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", when,
                                              absl::UTCTimeZone());
    absl::Time parsed;
    ASSERT_TRUE(ParseHttpDate(text, parsed)) << text;
    EXPECT_EQ(parsed, when) << text;
  }
  absl::Time time;
  for (const char* wrong :
       {"Tue, 31 Feb 2026 22:36:44 GMT", "Tue, 01 Dec 2026 24:36:44 GMT",
        "Tue, 01 Dec 2026 22:60:44 GMT", "Tue, 01 Dec 2026 22:36:44 UTC",
        "Tue, 01 Xyz 2026 22:36:44 GMT", "Tue, 0x Dec 2026 22:36:44 GMT",
        "Tue 01 Dec 2026 22:36:44 GMT"}) {
    EXPECT_FALSE(ParseHttpDate(wrong, time)) << wrong;
  }
  // Other forms absl still parses: lower-case names, RFC 850, asctime.
  EXPECT_TRUE(ParseHttpDate("tue, 01 dec 2026 22:36:44 GMT", time));
  EXPECT_EQ(absl::ToUnixSeconds(time), 1796164604);
  EXPECT_TRUE(ParseHttpDate("Tuesday, 01-Dec-26 22:36:44 GMT", time));
  EXPECT_EQ(absl::ToUnixSeconds(time), 1796164604);
  EXPECT_TRUE(ParseHttpDate("Tue Dec  1 22:36:44 2026", time));
  EXPECT_EQ(absl::ToUnixSeconds(time), 1796164604);
}

}  // namespace
}  // namespace identity::auth
