#include "auth/sigv4_signer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/crypto.h"
#include "auth/uri_encoding.h"

namespace identity::auth {
namespace {

// Trimall: leading and trailing whitespace dropped, each inner run of
// whitespace (folded lines too) made one space, as botocore does.
void AppendTrimmed(absl::string_view value, std::string& out) {
  bool pending_space = false;
  bool any = false;
  for (char c : value) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      pending_space = any;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    any = true;
    out.push_back(c);
  }
}

}  // namespace

SigV4PathRule PathRuleForService(absl::string_view service) {
  return service == "s3" ? SigV4PathRule::kAsSent
                         : SigV4PathRule::kNormalizeAndEncode;
}

std::string SigV4CanonicalUri(absl::string_view path, SigV4PathRule rule) {
  if (path.empty()) return "/";
  switch (rule) {
    case SigV4PathRule::kAsSent:
      return EncodeUnsafePathBytes(path);
    case SigV4PathRule::kNormalizeAndEncode:
      return UriEncode(RemoveDotSegments(path), /*keep_slash=*/true);
    case SigV4PathRule::kEncodeOnly:
      break;
  }
  return UriEncode(path, /*keep_slash=*/true);
}

std::string SigV4CanonicalQuery(absl::string_view query, SignatureForm form) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const RawQueryParam& param : SplitQuery(query)) {
    std::string name = PercentDecode(param.name);
    if (form == SignatureForm::kQuery && name == "X-Amz-Signature") continue;
    params.emplace_back(UriEncode(name, /*keep_slash=*/false),
                        UriEncode(PercentDecode(param.value), false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, name, "=", value);
  }
  return out;
}

std::string SigV4CanonicalHeaders(
    const SignedRequest& request,
    const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    out += name;
    out.push_back(':');
    bool first = true;
    for (const SignedRequest::Header& header : request.headers) {
      if (!absl::EqualsIgnoreCase(header.name, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendTrimmed(header.value, out);
    }
    out.push_back('\n');
  }
  return out;
}

std::string SigV4CanonicalRequest(
    const SignedRequest& request,
    const std::vector<std::string>& signed_headers, SignatureForm form,
    SigV4PathRule rule, absl::string_view payload) {
  return absl::StrCat(request.method, "\n",
                      SigV4CanonicalUri(request.path, rule), "\n",
                      SigV4CanonicalQuery(request.query, form), "\n",
                      SigV4CanonicalHeaders(request, signed_headers), "\n",
                      absl::StrJoin(signed_headers, ";"), "\n", payload);
}

std::string SigV4StringToSign(absl::string_view amz_date,
                              absl::string_view scope_date,
                              absl::string_view region,
                              absl::string_view service,
                              absl::string_view canonical_request) {
  return absl::StrCat(
      "AWS4-HMAC-SHA256\n", amz_date, "\n", scope_date, "/", region, "/",
      service, "/aws4_request\n",
      absl::BytesToHexString(crypto::Sha256(canonical_request)));
}

std::string SigV4SigningKey(absl::string_view secret,
                            absl::string_view scope_date,
                            absl::string_view region,
                            absl::string_view service) {
  std::string key = absl::StrCat("AWS4", secret);
  std::string date_key = crypto::HmacSha256(key, scope_date);
  std::string region_key = crypto::HmacSha256(date_key, region);
  std::string service_key = crypto::HmacSha256(region_key, service);
  std::string signing_key = crypto::HmacSha256(service_key, "aws4_request");
  crypto::Cleanse(key);
  crypto::Cleanse(date_key);
  crypto::Cleanse(region_key);
  crypto::Cleanse(service_key);
  return signing_key;
}

std::string SigV4Signature(absl::string_view signing_key,
                           absl::string_view string_to_sign) {
  return absl::BytesToHexString(
      crypto::HmacSha256(signing_key, string_to_sign));
}

}  // namespace identity::auth
