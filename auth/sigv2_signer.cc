#include "auth/sigv2_signer.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/crypto.h"
#include "auth/uri_encoding.h"

namespace identity::auth {
namespace {

// botocore 1.29 auth.py, HmacV1Auth.QSAOfInterest (compared exactly).
const absl::flat_hash_set<std::string>& BotocoreSubResources() {
  static const auto* names = new absl::flat_hash_set<std::string>{
      "accelerate",
      "acl",
      "cors",
      "defaultObjectAcl",
      "location",
      "logging",
      "partNumber",
      "policy",
      "requestPayment",
      "torrent",
      "versioning",
      "versionId",
      "versions",
      "website",
      "uploads",
      "uploadId",
      "response-content-type",
      "response-content-language",
      "response-expires",
      "response-cache-control",
      "response-content-disposition",
      "response-content-encoding",
      "delete",
      "lifecycle",
      "tagging",
      "restore",
      "storageClass",
      "notification",
      "replication",
      "analytics",
      "metrics",
      "inventory",
      "select",
      "select-type",
      "object-lock",
  };
  return *names;
}

// esdk-obs-nodejs 3.26 lib/utils.js, allowedResourceParameterNames
// (compared in lowercase).
const absl::flat_hash_set<std::string>& ObsSdkSubResources() {
  static const auto* names = new absl::flat_hash_set<std::string>{
      "acl",
      "backtosource",
      "policy",
      "torrent",
      "logging",
      "location",
      "storageinfo",
      "quota",
      "storageclass",
      "storagepolicy",
      "requestpayment",
      "versions",
      "versioning",
      "versionid",
      "uploads",
      "uploadid",
      "partnumber",
      "website",
      "notification",
      "replication",
      "lifecycle",
      "deletebucket",
      "delete",
      "cors",
      "restore",
      "tagging",
      "append",
      "position",
      "response-content-type",
      "response-content-language",
      "response-expires",
      "response-cache-control",
      "response-content-disposition",
      "response-content-encoding",
      "x-image-process",
      "x-oss-process",
      "x-image-save-object",
      "x-image-save-bucket",
      "encryption",
      "directcoldaccess",
      "rename",
      "name",
      "metadata",
      "modify",
      "attname",
      "truncate",
      "x-obs-security-token",
      "x-workflow-prefix",
      "x-workflow-start",
      "x-workflow-limit",
      "x-workflow-template-name",
      "x-workflow-graph-name",
      "x-workflow-execution-state",
      "x-workflow-execution-type",
      "x-workflow-next-marker",
      "obsworkflowtriggerpolicy",
      "obsbucketalias",
      "obsalias",
      "publicaccessblock",
      "bucketstatus",
      "policystatus",
      "customdomain",
      "inventory",
      "object-lock",
      "retention",
      "mirrorbacktosource",
      "obscompresspolicy",
      "length",
  };
  return *names;
}

absl::string_view HeaderPrefix(V2Dialect dialect) {
  return dialect == V2Dialect::kObsSdkObs ? "x-obs-" : "x-amz-";
}

// The parameters that authenticate a temporary URL are not signed.
bool IsAuthParam(absl::string_view name) {
  return name == "Signature" || name == "AWSAccessKeyId" ||
         name == "AccessKeyId" || name == "Expires";
}

std::string Trimmed(absl::string_view value) {
  return std::string(absl::StripAsciiWhitespace(value));
}

std::string FirstOrEmpty(const SignedRequest& request, absl::string_view name) {
  std::optional<absl::string_view> value = FirstHeader(request, name);
  return value.has_value() ? Trimmed(*value) : "";
}

}  // namespace

namespace {

// A V2 string to sign in three parts: the lines up to the resource, the
// resource's path (with the bucket of a virtual-hosted request), and its
// sub-resources ("?acl&uploadId=1" or empty).
struct V2Parts {
  std::string head;
  std::string path;
  std::string sub_resources;
};

V2Parts BuildV2Parts(const SignedRequest& request,
                     const ParsedSignature& parsed, V2Dialect dialect) {
  V2Parts parts;
  const absl::string_view prefix = HeaderPrefix(dialect);
  const bool query_form = parsed.form == SignatureForm::kQuery;
  const bool botocore = dialect == V2Dialect::kBotocore;

  std::string& out = parts.head;
  out = absl::StrCat(request.method, "\n", FirstOrEmpty(request, "content-md5"),
                     "\n", FirstOrEmpty(request, "content-type"), "\n");
  if (query_form) {
    absl::StrAppend(&out, parsed.expires, "\n");
  } else if (!parsed.v2_date_from_prefixed_header) {
    absl::StrAppend(&out, FirstOrEmpty(request, "date"), "\n");
  } else {
    out.push_back('\n');
  }

  // Prefixed headers, lowercase and sorted, repeats joined by ','.
  std::map<std::string, std::string> custom;
  auto add_custom = [&custom](std::string name, absl::string_view value) {
    auto [it, inserted] = custom.emplace(std::move(name), "");
    if (!inserted) it->second.push_back(',');
    it->second += Trimmed(value);
  };
  for (const SignedRequest::Header& header : request.headers) {
    std::string name = absl::AsciiStrToLower(header.name);
    if (absl::StartsWith(name, prefix))
      add_custom(std::move(name), header.value);
  }
  std::vector<RawQueryParam> params = SplitQuery(request.query);
  if (query_form && botocore) {
    for (const RawQueryParam& param : params) {
      std::string name = absl::AsciiStrToLower(PercentDecode(param.name));
      if (absl::StartsWith(name, prefix)) {
        add_custom(std::move(name), PercentDecode(param.value));
      }
    }
  }
  for (const auto& [name, value] : custom) {
    absl::StrAppend(&out, name, ":", value, "\n");
  }

  // The resource: the bucket of a virtual-hosted request, the path as sent,
  // then the sub-resources sorted by name.
  if (!request.bucket.empty())
    absl::StrAppend(&parts.path, "/", request.bucket);
  parts.path += request.path.empty() ? "/" : request.path;
  std::vector<std::pair<std::string, std::string>> sub_resources;
  for (const RawQueryParam& param : params) {
    std::string name = PercentDecode(param.name);
    if (IsAuthParam(name)) continue;
    const std::string lower = absl::AsciiStrToLower(name);
    const bool listed =
        botocore ? BotocoreSubResources().contains(name)
                 : ObsSdkSubResources().contains(lower) ||
                       (query_form && absl::StartsWith(lower, prefix));
    if (!listed) continue;
    std::string value = PercentDecode(param.value);
    std::string entry = name;
    if (botocore ? param.has_equals : !value.empty()) {
      absl::StrAppend(&entry, "=", value);
    }
    sub_resources.emplace_back(std::move(name), std::move(entry));
  }
  std::stable_sort(
      sub_resources.begin(), sub_resources.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < sub_resources.size(); ++i) {
    parts.sub_resources.push_back(i == 0 ? '?' : '&');
    parts.sub_resources += sub_resources[i].second;
  }
  return parts;
}

}  // namespace

std::string V2StringToSign(const SignedRequest& request,
                           const ParsedSignature& parsed, V2Dialect dialect) {
  V2Parts parts = BuildV2Parts(request, parsed, dialect);
  return absl::StrCat(parts.head, parts.path, parts.sub_resources);
}

std::vector<std::string> V2BotocoreAuthPathStrings(
    const SignedRequest& request, const ParsedSignature& parsed) {
  std::vector<std::string> strings;
  V2Parts parts = BuildV2Parts(request, parsed, V2Dialect::kBotocore);
  const bool virtual_hosted = !request.bucket.empty();
  // Path-style, a bucket-only path: "/b" signed as "/b/" (virtual-hosted,
  // "/" is already "/b/").
  if (!virtual_hosted && parts.path.size() > 1 &&
      parts.path.find('/', 1) == std::string::npos) {
    strings.push_back(
        absl::StrCat(parts.head, parts.path, "/", parts.sub_resources));
  }
  // The operation's literal query (its first parameter) signed in the path,
  // which is the bucket alone (no '/') for a bucket operation.
  std::vector<RawQueryParam> params = SplitQuery(request.query);
  if (!params.empty() && parsed.form == SignatureForm::kHeader) {
    const RawQueryParam& first = params.front();
    std::string literal(first.name);
    if (first.has_equals) absl::StrAppend(&literal, "=", first.value);
    const std::string path =
        virtual_hosted && (request.path.empty() || request.path == "/")
            ? absl::StrCat("/", request.bucket)
            : parts.path;
    strings.push_back(
        absl::StrCat(parts.head, path, "?", literal, parts.sub_resources));
  }
  return strings;
}

std::string V2Signature(absl::string_view secret,
                        absl::string_view string_to_sign) {
  return absl::Base64Escape(crypto::HmacSha1(secret, string_to_sign));
}

}  // namespace identity::auth
