#include "auth/signature_parser.h"

#include <algorithm>
#include <iterator>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "auth/uri_encoding.h"

namespace identity::auth {
namespace {

namespace codes = signature_errors;

constexpr absl::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
// What SigV4 allows for X-Amz-Expires: one second to seven days.
constexpr int64_t kMaxSigV4ExpiresSeconds = 604800;
// Longer values are not signatures any client makes; refusing them early
// bounds the work a hostile request can cause.
constexpr size_t kMaxSignedHeaders = 64;

ParseResult Refuse(ParsedSignature parsed, absl::string_view code,
                   std::string message) {
  ParseResult result;
  result.parsed = std::move(parsed);
  result.error_code = std::string(code);
  result.error_message = std::move(message);
  return result;
}

ParseResult Accept(ParsedSignature parsed) {
  ParseResult result;
  result.parsed = std::move(parsed);
  return result;
}

bool IsLowerHex(absl::string_view text, size_t size) {
  if (text.size() != size) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A header name as SignedHeaders lists it: lowercase token characters.
bool IsSignedHeaderName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '!' || c == '#' ||
                    c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
                    c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
    if (!ok) return false;
  }
  return true;
}

// The query's parameters by decoded name. Repeats are kept in order.
struct QueryParams {
  std::vector<std::pair<std::string, std::string>> decoded;

  explicit QueryParams(absl::string_view query) {
    for (const RawQueryParam& param : SplitQuery(query)) {
      decoded.emplace_back(PercentDecode(param.name),
                           PercentDecode(param.value));
    }
  }
  int Count(absl::string_view name, bool ignore_case = false) const {
    int count = 0;
    for (const auto& [key, value] : decoded) {
      if (ignore_case ? absl::EqualsIgnoreCase(key, name) : key == name) {
        ++count;
      }
    }
    return count;
  }
  std::optional<std::string> Get(absl::string_view name) const {
    for (const auto& [key, value] : decoded) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
};

bool CarriesSecurityToken(const SignedRequest& request,
                          const QueryParams& query) {
  return FirstHeader(request, "x-amz-security-token").has_value() ||
         FirstHeader(request, "x-obs-security-token").has_value() ||
         query.Count("x-amz-security-token", /*ignore_case=*/true) > 0 ||
         query.Count("x-obs-security-token", /*ignore_case=*/true) > 0;
}

// "AK/20150830/us-east-1/service/aws4_request" into `parsed`.
bool ParseCredential(absl::string_view credential, ParsedSignature& parsed) {
  std::vector<absl::string_view> parts = absl::StrSplit(credential, '/');
  if (parts.size() != 5 || parts[0].empty() || parts[2].empty() ||
      parts[3].empty() || parts[4] != "aws4_request" || parts[1].size() != 8 ||
      !IsDigits(parts[1])) {
    if (!parts.empty()) parsed.access_key_id = std::string(parts[0]);
    return false;
  }
  parsed.access_key_id = std::string(parts[0]);
  parsed.scope_date = std::string(parts[1]);
  parsed.region = std::string(parts[2]);
  parsed.service = std::string(parts[3]);
  return true;
}

bool ParseSignedHeaders(absl::string_view list, ParsedSignature& parsed) {
  std::vector<std::string> names = absl::StrSplit(list, ';');
  if (names.empty() || names.size() > kMaxSignedHeaders) return false;
  bool has_host = false;
  for (const std::string& name : names) {
    if (!IsSignedHeaderName(name)) return false;
    if (name == "host") has_host = true;
  }
  if (!has_host) return false;
  parsed.signed_headers = std::move(names);
  return true;
}

// Signed-chunk streaming signs each chunk with a chain of signatures over
// the body, which a gateway would have to forward chunk by chunk: not built.
std::optional<ParseResult> RefuseStreaming(const SignedRequest& request,
                                           const ParsedSignature& parsed) {
  std::optional<absl::string_view> content =
      FirstHeader(request, "x-amz-content-sha256");
  if (content.has_value() && absl::StartsWith(*content, "STREAMING-") &&
      *content != "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    return Refuse(parsed, codes::kNotImplemented,
                  "signed-chunk streaming (x-amz-content-sha256: "
                  "STREAMING-...) is not supported; sign the whole payload "
                  "or use UNSIGNED-PAYLOAD");
  }
  return std::nullopt;
}

ParseResult ParseSigV4Header(const SignedRequest& request,
                             absl::string_view rest, ParsedSignature parsed) {
  std::optional<std::string> credential, signed_headers, signature;
  for (absl::string_view field : absl::StrSplit(rest, ',')) {
    field = absl::StripAsciiWhitespace(field);
    if (field.empty()) continue;
    const size_t equals = field.find('=');
    if (equals == absl::string_view::npos) {
      return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                    "the authorization header is malformed: expected "
                    "Credential=..., SignedHeaders=..., Signature=...");
    }
    absl::string_view key = absl::StripAsciiWhitespace(field.substr(0, equals));
    std::string value(absl::StripAsciiWhitespace(field.substr(equals + 1)));
    std::optional<std::string>* slot = key == "Credential" ? &credential
                                       : key == "SignedHeaders"
                                           ? &signed_headers
                                       : key == "Signature" ? &signature
                                                            : nullptr;
    if (slot == nullptr || slot->has_value()) {
      return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                    "the authorization header is malformed: unknown or "
                    "repeated field");
    }
    *slot = std::move(value);
  }
  if (!credential.has_value() || !signed_headers.has_value() ||
      !signature.has_value()) {
    return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                  "the authorization header is malformed: Credential, "
                  "SignedHeaders and Signature are required");
  }
  if (!ParseCredential(*credential, parsed)) {
    return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                  "the authorization header is malformed: Credential must be "
                  "<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request");
  }
  if (!ParseSignedHeaders(*signed_headers, parsed)) {
    return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                  "the authorization header is malformed: SignedHeaders must "
                  "be lowercase names separated by ';' and include host");
  }
  if (!IsLowerHex(*signature, 64)) {
    return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                  "the authorization header is malformed: Signature must be "
                  "64 lowercase hex digits");
  }
  parsed.signature = *std::move(signature);
  std::optional<absl::string_view> date = FirstHeader(request, "x-amz-date");
  absl::Time ignored;
  if (!date.has_value() ||
      !ParseAmzDate(absl::StripAsciiWhitespace(*date), ignored)) {
    return Refuse(parsed, codes::kAccessDenied,
                  "AWS authentication requires a valid x-amz-date header "
                  "(YYYYMMDD'T'HHMMSS'Z')");
  }
  parsed.amz_date = std::string(absl::StripAsciiWhitespace(*date));
  if (parsed.amz_date.substr(0, 8) != parsed.scope_date) {
    return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                  "invalid credential date: it is not the date of "
                  "x-amz-date");
  }
  if (auto refusal = RefuseStreaming(request, parsed)) return *refusal;
  return Accept(std::move(parsed));
}

ParseResult ParseSigV4Query(const SignedRequest& request,
                            const QueryParams& query, ParsedSignature parsed) {
  parsed.form = SignatureForm::kQuery;
  for (absl::string_view name :
       {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Signature"}) {
    if (query.Count(name) > 1) {
      return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                    absl::StrCat(name, " is given more than once"));
    }
  }
  std::optional<std::string> credential = query.Get("X-Amz-Credential");
  if (credential.has_value()) ParseCredential(*credential, parsed);
  std::optional<std::string> algorithm = query.Get("X-Amz-Algorithm");
  if (algorithm.has_value() && *algorithm != kSigV4Algorithm &&
      absl::StartsWith(*algorithm, "AWS4-")) {
    return Refuse(parsed, codes::kNotImplemented,
                  "only the AWS4-HMAC-SHA256 algorithm is supported");
  }
  std::optional<std::string> date = query.Get("X-Amz-Date");
  std::optional<std::string> expires = query.Get("X-Amz-Expires");
  std::optional<std::string> signed_headers = query.Get("X-Amz-SignedHeaders");
  std::optional<std::string> signature = query.Get("X-Amz-Signature");
  if (algorithm != kSigV4Algorithm || !credential.has_value() ||
      !date.has_value() || !expires.has_value() ||
      !signed_headers.has_value() || !signature.has_value()) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  "query-string authentication requires X-Amz-Algorithm="
                  "AWS4-HMAC-SHA256, X-Amz-Credential, X-Amz-Date, "
                  "X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature");
  }
  if (!ParseCredential(*credential, parsed)) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  "X-Amz-Credential must be <access key id>/<YYYYMMDD>/"
                  "<region>/<service>/aws4_request");
  }
  absl::Time ignored;
  if (!ParseAmzDate(*date, ignored)) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  "X-Amz-Date must be YYYYMMDD'T'HHMMSS'Z'");
  }
  parsed.amz_date = *date;
  if (parsed.amz_date.substr(0, 8) != parsed.scope_date) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  "invalid credential date: it is not the date of "
                  "X-Amz-Date");
  }
  if (!IsDigits(*expires) || expires->size() > 7 ||
      !absl::SimpleAtoi(*expires, &parsed.expires) || parsed.expires < 1 ||
      parsed.expires > kMaxSigV4ExpiresSeconds) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  "X-Amz-Expires must be a number of seconds from 1 to "
                  "604800 (seven days)");
  }
  if (!ParseSignedHeaders(*signed_headers, parsed)) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  "X-Amz-SignedHeaders must be lowercase names separated by "
                  "';' and include host");
  }
  if (!IsLowerHex(*signature, 64)) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  "X-Amz-Signature must be 64 lowercase hex digits");
  }
  parsed.signature = *std::move(signature);
  if (auto refusal = RefuseStreaming(request, parsed)) return *refusal;
  return Accept(std::move(parsed));
}

absl::string_view V2HeaderPrefix(SignatureVersion version) {
  return version == SignatureVersion::kObsV2 ? "x-obs-" : "x-amz-";
}

ParseResult ParseV2Header(const SignedRequest& request, absl::string_view rest,
                          ParsedSignature parsed) {
  const size_t colon = rest.find(':');
  absl::string_view access_key_id =
      absl::StripAsciiWhitespace(rest.substr(0, colon));
  parsed.access_key_id = std::string(access_key_id);
  if (colon == absl::string_view::npos || access_key_id.empty() ||
      absl::StripAsciiWhitespace(rest.substr(colon + 1)).empty()) {
    return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                  "the authorization header must be \"AWS ak:signature\" or "
                  "\"OBS ak:signature\"");
  }
  parsed.signature =
      std::string(absl::StripAsciiWhitespace(rest.substr(colon + 1)));
  const std::string date_header =
      absl::StrCat(V2HeaderPrefix(parsed.version), "date");
  std::optional<absl::string_view> date = FirstHeader(request, date_header);
  parsed.v2_date_from_prefixed_header = date.has_value();
  if (!date.has_value()) date = FirstHeader(request, "date");
  absl::Time ignored;
  if (!date.has_value() ||
      !(ParseHttpDate(absl::StripAsciiWhitespace(*date), ignored) ||
        ParseAmzDate(absl::StripAsciiWhitespace(*date), ignored))) {
    return Refuse(parsed, codes::kAccessDenied,
                  absl::StrCat("authentication requires a valid Date or ",
                               date_header, " header"));
  }
  parsed.v2_date = std::string(absl::StripAsciiWhitespace(*date));
  return Accept(std::move(parsed));
}

ParseResult ParseV2Query(const QueryParams& query, ParsedSignature parsed) {
  parsed.form = SignatureForm::kQuery;
  const bool obs = query.Count("AccessKeyId") > 0;
  parsed.version = obs ? SignatureVersion::kObsV2 : SignatureVersion::kAwsV2;
  const absl::string_view key_param = obs ? "AccessKeyId" : "AWSAccessKeyId";
  if (query.Count("AccessKeyId") + query.Count("AWSAccessKeyId") != 1 ||
      query.Count("Signature") != 1 || query.Count("Expires") != 1) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  absl::StrCat("a temporary URL carries exactly one ",
                               key_param, ", Expires and Signature"));
  }
  parsed.access_key_id = *query.Get(key_param);
  parsed.signature = *query.Get("Signature");
  const std::string expires = *query.Get("Expires");
  if (parsed.access_key_id.empty() || parsed.signature.empty() ||
      !IsDigits(expires) || expires.size() > 12 ||
      !absl::SimpleAtoi(expires, &parsed.expires)) {
    return Refuse(parsed, codes::kAuthorizationQueryParametersError,
                  "Expires must be a Unix time in seconds, and the access "
                  "key id and Signature not empty");
  }
  return Accept(std::move(parsed));
}

}  // namespace

namespace {

// The IMF-fixdate every SDK sends ("Tue, 01 Dec 2026 22:36:44 GMT"), by
// hand: absl::ParseTime took 5 % of a V2 verification's CPU (it is called
// twice a request). Exact-case names and two-digit fields only; anything
// else (and any date this refuses) is left to ParseTime's formats below.
bool ParseImfFixdate(absl::string_view text, absl::Time& out) {
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' ||
      text[11] != ' ' || text[16] != ' ' || text[19] != ':' ||
      text[22] != ':' || text.substr(25) != " GMT") {
    return false;
  }
  static constexpr absl::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu",
                                                "Fri", "Sat", "Sun"};
  static constexpr absl::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                                  "May", "Jun", "Jul", "Aug",
                                                  "Sep", "Oct", "Nov", "Dec"};
  if (std::find(std::begin(kDays), std::end(kDays), text.substr(0, 3)) ==
      std::end(kDays)) {
    return false;
  }
  const auto month_at =
      std::find(std::begin(kMonths), std::end(kMonths), text.substr(8, 3));
  if (month_at == std::end(kMonths)) return false;
  const int month = static_cast<int>(month_at - std::begin(kMonths)) + 1;
  for (size_t at : {5, 12, 17, 20, 23}) {
    if (!IsDigits(text.substr(at, at == 12 ? 4 : 2))) return false;
  }
  auto number = [text](size_t at, size_t size) {
    int value = 0;
    for (char c : text.substr(at, size)) value = value * 10 + (c - '0');
    return value;
  };
  const int day = number(5, 2), hour = number(17, 2), minute = number(20, 2),
            second = number(23, 2);
  const absl::CivilSecond civil(number(12, 4), month, day, hour, minute,
                                second);
  if (civil.month() != month || civil.day() != day || civil.hour() != hour ||
      civil.minute() != minute || civil.second() != second) {
    return false;
  }
  out = absl::FromCivil(civil, absl::UTCTimeZone());
  return true;
}

}  // namespace

bool ParseHttpDate(absl::string_view text, absl::Time& out) {
  if (ParseImfFixdate(text, out)) return true;
  std::string error;
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y", "%a, %d %b %Y %H:%M:%S +0000"}) {
    if (absl::ParseTime(format, std::string(text), absl::UTCTimeZone(), &out,
                        &error)) {
      return true;
    }
  }
  return false;
}

bool ParseAmzDate(absl::string_view text, absl::Time& out) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return false;
  if (!IsDigits(text.substr(0, 8)) || !IsDigits(text.substr(9, 6))) {
    return false;
  }
  // By hand: absl's %Y would take all eight digits of the date.
  auto number = [text](size_t at, size_t size) {
    int value = 0;
    for (char c : text.substr(at, size)) value = value * 10 + (c - '0');
    return value;
  };
  const int month = number(4, 2), day = number(6, 2), hour = number(9, 2),
            minute = number(11, 2), second = number(13, 2);
  const absl::CivilSecond civil(number(0, 4), month, day, hour, minute, second);
  // CivilSecond normalizes 20261340 into a real date: refuse instead.
  if (civil.month() != month || civil.day() != day || civil.hour() != hour ||
      civil.minute() != minute || civil.second() != second) {
    return false;
  }
  out = absl::FromCivil(civil, absl::UTCTimeZone());
  return true;
}

ParseResult ParseSignature(const SignedRequest& request) {
  ParsedSignature parsed;
  const QueryParams query(request.query);
  std::vector<absl::string_view> authorization =
      HeaderValues(request, "authorization");
  const bool v4_query = query.Count("X-Amz-Algorithm") > 0 ||
                        query.Count("X-Amz-Credential") > 0 ||
                        query.Count("X-Amz-Signature") > 0;
  const bool v2_query =
      query.Count("Signature") > 0 &&
      (query.Count("AWSAccessKeyId") > 0 || query.Count("AccessKeyId") > 0);

  // Which scheme, as far as it can be told, so even a refusal says it.
  absl::string_view header;
  if (authorization.size() == 1) {
    header = absl::StripAsciiWhitespace(authorization.front());
    if (absl::StartsWith(header, "AWS4-")) {
      parsed.version = SignatureVersion::kAwsSigV4;
    } else if (absl::StartsWith(header, "AWS ")) {
      parsed.version = SignatureVersion::kAwsV2;
    } else if (absl::StartsWith(header, "OBS ")) {
      parsed.version = SignatureVersion::kObsV2;
    }
  } else if (v4_query) {
    parsed.version = SignatureVersion::kAwsSigV4;
    parsed.form = SignatureForm::kQuery;
  } else if (v2_query) {
    parsed.version = query.Count("AccessKeyId") > 0 ? SignatureVersion::kObsV2
                                                    : SignatureVersion::kAwsV2;
    parsed.form = SignatureForm::kQuery;
  }

  if (authorization.size() > 1) {
    return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                  "the request carries more than one Authorization header");
  }
  if (!authorization.empty() && (v4_query || v2_query)) {
    return Refuse(parsed, codes::kInvalidArgument,
                  "only one auth mechanism allowed: an Authorization header "
                  "or query-string authentication, not both");
  }
  if (authorization.empty() && !v4_query && !v2_query) {
    return Refuse(parsed, codes::kAccessDenied,
                  "the request is not signed: no Authorization header and "
                  "no signature in the query string");
  }
  if (CarriesSecurityToken(request, query)) {
    if (parsed.version == SignatureVersion::kAwsSigV4 &&
        parsed.form == SignatureForm::kQuery) {
      if (auto credential = query.Get("X-Amz-Credential")) {
        ParseCredential(*credential, parsed);
      }
    }
    return Refuse(parsed, codes::kInvalidToken,
                  "the request carries a security token, but this service "
                  "issues no temporary credentials");
  }
  if (v4_query) return ParseSigV4Query(request, query, std::move(parsed));
  if (v2_query) return ParseV2Query(query, std::move(parsed));

  if (absl::ConsumePrefix(&header, kSigV4Algorithm) &&
      (header.empty() || absl::ascii_isspace(header.front()))) {
    return ParseSigV4Header(request, header, std::move(parsed));
  }
  if (parsed.version == SignatureVersion::kAwsSigV4) {
    return Refuse(parsed, codes::kNotImplemented,
                  "only the AWS4-HMAC-SHA256 algorithm is supported");
  }
  if (parsed.version == SignatureVersion::kAwsV2 ||
      parsed.version == SignatureVersion::kObsV2) {
    return ParseV2Header(request, header.substr(4), std::move(parsed));
  }
  return Refuse(parsed, codes::kAuthorizationHeaderMalformed,
                "unsupported authorization type: expected AWS4-HMAC-SHA256, "
                "AWS or OBS");
}

}  // namespace identity::auth
