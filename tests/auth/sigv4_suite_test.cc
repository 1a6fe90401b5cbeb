// The AWS SigV4 test suite (testdata/aws-signing-test-suite, Apache 2.0):
// every case, header and query forms, through the canonicalizer, the
// string to sign and the signature, then through the whole check against
// the suite's clock and credentials.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "auth/crypto.h"
#include "auth/signature_check.h"
#include "auth/signature_parser.h"
#include "auth/sigv4_signer.h"
#include "gtest/gtest.h"
#include "testing/files.h"

namespace identity::auth {
namespace {

namespace fs = std::filesystem;

constexpr char kSuiteDir[] = IDENTITY_SIGV4_SUITE_DIR;
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// Every case is signed at 2015-08-30T12:36:00Z.
const absl::Time kSuiteTime = absl::FromCivil(
    absl::CivilSecond(2015, 8, 30, 12, 36, 0), absl::UTCTimeZone());

struct SuiteRequest {
  SignedRequest request;
  std::string body;
};

// "GET /a b?x=1 HTTP/1.1\nName:value\n  folded\n\nbody": the target may hold
// spaces (the suite writes paths unencoded), so the method ends at the first
// space and the version starts at the last.
SuiteRequest ParseHttpFile(const std::string& text) {
  SuiteRequest out;
  const size_t head_end = text.find("\n\n");
  const std::string head = text.substr(0, head_end);
  if (head_end != std::string::npos) out.body = text.substr(head_end + 2);
  while (!out.body.empty() && out.body.back() == '\n') out.body.pop_back();
  std::vector<std::string> lines = absl::StrSplit(head, '\n');
  const std::string& request_line = lines.front();
  const size_t first = request_line.find(' ');
  const size_t last = request_line.rfind(' ');
  out.request.method = request_line.substr(0, first);
  const std::string target = request_line.substr(first + 1, last - first - 1);
  const size_t question = target.find('?');
  out.request.path = target.substr(0, question);
  if (question != std::string::npos) {
    out.request.query = target.substr(question + 1);
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !out.request.headers.empty()) {
      out.request.headers.back().value += "\n" + line;  // obs-fold
      continue;
    }
    const size_t colon = line.find(':');
    out.request.headers.push_back(
        {line.substr(0, colon), line.substr(colon + 1)});
  }
  return out;
}

std::string ReadCaseFile(const std::string& name, const std::string& file) {
  std::string text =
      testing::ReadFile((fs::path(kSuiteDir) / name / file).string());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(kSuiteDir)) {
    if (entry.is_directory()) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool Normalized(const std::string& name) {
  return ReadCaseFile(name, "context.json").find("\"normalize\": true") !=
         std::string::npos;
}

bool HasToken(const std::string& name) {
  return ReadCaseFile(name, "context.json").find("\"token\"") !=
         std::string::npos;
}

// The SignedHeaders list of the Authorization header or the query.
std::vector<std::string> SignedHeadersOf(const SignedRequest& request) {
  for (const SignedRequest::Header& header : request.headers) {
    if (!absl::EqualsIgnoreCase(header.name, "authorization")) continue;
    const size_t at = header.value.find("SignedHeaders=");
    const size_t end = header.value.find(',', at);
    return absl::StrSplit(header.value.substr(at + 14, end - at - 14), ';');
  }
  for (absl::string_view pair : absl::StrSplit(request.query, '&')) {
    if (absl::ConsumePrefix(&pair, "X-Amz-SignedHeaders=")) {
      return absl::StrSplit(absl::StrReplaceAll(pair, {{"%3B", ";"}}), ';');
    }
  }
  return {};
}

std::string PayloadOf(const SuiteRequest& parsed) {
  std::optional<absl::string_view> header =
      FirstHeader(parsed.request, "x-amz-content-sha256");
  if (header.has_value()) return std::string(*header);
  return absl::BytesToHexString(crypto::Sha256(parsed.body));
}

class SigV4SuiteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4SuiteTest, HeaderFormMatchesCanonicalRequestAndSignature) {
  const std::string& name = GetParam();
  SuiteRequest parsed =
      ParseHttpFile(ReadCaseFile(name, "header-signed-request.txt") + "\n");
  const SigV4PathRule rule = Normalized(name)
                                 ? SigV4PathRule::kNormalizeAndEncode
                                 : SigV4PathRule::kEncodeOnly;
  const std::string canonical =
      SigV4CanonicalRequest(parsed.request, SignedHeadersOf(parsed.request),
                            SignatureForm::kHeader, rule, PayloadOf(parsed));
  EXPECT_EQ(canonical, ReadCaseFile(name, "header-canonical-request.txt"));
  const std::string string_to_sign = SigV4StringToSign(
      "20150830T123600Z", "20150830", "us-east-1", "service", canonical);
  EXPECT_EQ(string_to_sign, ReadCaseFile(name, "header-string-to-sign.txt"));
  const std::string key =
      SigV4SigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_EQ(SigV4Signature(key, string_to_sign),
            ReadCaseFile(name, "header-signature.txt"));
}

TEST_P(SigV4SuiteTest, QueryFormMatchesCanonicalRequestAndSignature) {
  const std::string& name = GetParam();
  SuiteRequest parsed =
      ParseHttpFile(ReadCaseFile(name, "query-signed-request.txt") + "\n");
  if (ReadCaseFile(name, "context.json").find("\"omit_session_token\": true") !=
      std::string::npos) {
    // The token was added after signing, so it is not signed.
    const size_t at = parsed.request.query.find("&X-Amz-Security-Token=");
    const size_t end = parsed.request.query.find('&', at + 1);
    parsed.request.query.erase(at, end - at);
  }
  const SigV4PathRule rule = Normalized(name)
                                 ? SigV4PathRule::kNormalizeAndEncode
                                 : SigV4PathRule::kEncodeOnly;
  const std::string canonical =
      SigV4CanonicalRequest(parsed.request, SignedHeadersOf(parsed.request),
                            SignatureForm::kQuery, rule, PayloadOf(parsed));
  EXPECT_EQ(canonical, ReadCaseFile(name, "query-canonical-request.txt"));
  const std::string string_to_sign = SigV4StringToSign(
      "20150830T123600Z", "20150830", "us-east-1", "service", canonical);
  EXPECT_EQ(string_to_sign, ReadCaseFile(name, "query-string-to-sign.txt"));
  const std::string key =
      SigV4SigningKey(kSecret, "20150830", "us-east-1", "service");
  EXPECT_EQ(SigV4Signature(key, string_to_sign),
            ReadCaseFile(name, "query-signature.txt"));
}

// The whole check as the service runs it, with the clock at the suite's
// time: valid for every case a non-S3 service verifies as the suite signed
// it; the "unnormalized" cases (signed without removing dot segments) are
// refused, since every service but S3 normalizes; a session token is
// InvalidToken (there are no temporary credentials).
void ExpectVerdict(const std::string& name, const std::string& file,
                   absl::Time now) {
  SuiteRequest parsed = ParseHttpFile(ReadCaseFile(name, file) + "\n");
  parsed.request.payload_sha256 =
      absl::BytesToHexString(crypto::Sha256(parsed.body));
  ParseResult parse = ParseSignature(parsed.request);
  if (HasToken(name)) {
    EXPECT_EQ(parse.error_code, "InvalidToken") << file;
    EXPECT_EQ(parse.parsed.version, SignatureVersion::kAwsSigV4);
    return;
  }
  ASSERT_TRUE(parse.ok()) << file << ": " << parse.error_message;
  EXPECT_EQ(parse.parsed.access_key_id, "AKIDEXAMPLE");
  absl::StatusOr<PreparedSignatureCheck> prepared =
      PrepareSignatureCheck(parsed.request, parse.parsed, now, {});
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  ASSERT_EQ(prepared->verdict.error_code, "") << file;
  SignatureVerdict verdict =
      FinishSignatureCheck(*prepared, parse.parsed, kSecret);
  EXPECT_EQ(verdict.region, "us-east-1");
  EXPECT_EQ(verdict.service, "service");
  const bool same_when_normalized =
      SigV4CanonicalUri(parsed.request.path,
                        SigV4PathRule::kNormalizeAndEncode) ==
      SigV4CanonicalUri(parsed.request.path, SigV4PathRule::kEncodeOnly);
  if (Normalized(name) || same_when_normalized) {
    EXPECT_TRUE(verdict.valid) << file << "\n" << verdict.canonical_request;
    EXPECT_EQ(verdict.signed_payload, PayloadOf(parsed));
  } else {
    EXPECT_EQ(verdict.error_code, "SignatureDoesNotMatch") << file;
  }
  // Any other secret fails.
  SignatureVerdict wrong = FinishSignatureCheck(
      *prepared, parse.parsed, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ");
  EXPECT_FALSE(wrong.valid);
  EXPECT_EQ(wrong.error_code, "SignatureDoesNotMatch");
  EXPECT_EQ(wrong.canonical_request, prepared->canonical_request);
}

TEST_P(SigV4SuiteTest, HeaderFormVerifiesAtTheSuiteTime) {
  ExpectVerdict(GetParam(), "header-signed-request.txt",
                kSuiteTime + absl::Minutes(14));
}

TEST_P(SigV4SuiteTest, QueryFormVerifiesUntilItExpires) {
  ExpectVerdict(GetParam(), "query-signed-request.txt",
                kSuiteTime + absl::Minutes(59));
}

TEST_P(SigV4SuiteTest, TimeRulesRefuseStaleRequests) {
  const std::string& name = GetParam();
  if (HasToken(name)) return;
  for (const char* file :
       {"header-signed-request.txt", "query-signed-request.txt"}) {
    SuiteRequest parsed = ParseHttpFile(ReadCaseFile(name, file) + "\n");
    parsed.request.payload_sha256 =
        absl::BytesToHexString(crypto::Sha256(parsed.body));
    ParseResult parse = ParseSignature(parsed.request);
    ASSERT_TRUE(parse.ok());
    const bool query = parse.parsed.form == SignatureForm::kQuery;
    // Past the 15 minutes of skew, or past X-Amz-Expires (3600 s).
    const absl::Time late =
        kSuiteTime + (query ? absl::Seconds(3601) : absl::Minutes(16));
    absl::StatusOr<PreparedSignatureCheck> prepared =
        PrepareSignatureCheck(parsed.request, parse.parsed, late, {});
    ASSERT_TRUE(prepared.ok());
    EXPECT_EQ(prepared->verdict.error_code,
              query ? "AccessDenied" : "RequestTimeTooSkewed")
        << file;
    if (query) {
      EXPECT_EQ(prepared->verdict.expire_time,
                kSuiteTime + absl::Seconds(3600));
    } else {
      prepared = PrepareSignatureCheck(parsed.request, parse.parsed,
                                       kSuiteTime - absl::Minutes(16), {});
      EXPECT_EQ(prepared->verdict.error_code, "RequestTimeTooSkewed");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteTest,
                         ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(SigV4Suite, HasEveryCase) { EXPECT_EQ(CaseNames().size(), 38u); }

}  // namespace
}  // namespace identity::auth
