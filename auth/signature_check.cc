#include "auth/signature_check.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "auth/crypto.h"
#include "auth/sigv2_signer.h"
#include "auth/sigv4_signer.h"

namespace identity::auth {
namespace {

namespace codes = signature_errors;

bool IsHex64(absl::string_view text, bool lowercase_only) {
  if (text.size() != 64) return false;
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9';
    const bool lower = c >= 'a' && c <= 'f';
    const bool upper = c >= 'A' && c <= 'F';
    if (!(digit || lower || (upper && !lowercase_only))) return false;
  }
  return true;
}

void Refuse(PreparedSignatureCheck& prepared, absl::string_view code,
            std::string message) {
  prepared.verdict.error_code = std::string(code);
  prepared.verdict.error_message = std::move(message);
}

// Time rules; false (and `prepared` refused) when the request is not valid
// now.
bool CheckTime(const ParsedSignature& parsed, absl::Time now,
               const SignatureCheckOptions& options,
               PreparedSignatureCheck& prepared) {
  absl::Time signed_at;
  if (parsed.version == SignatureVersion::kAwsSigV4) {
    ParseAmzDate(parsed.amz_date, signed_at);
    if (parsed.form == SignatureForm::kQuery) {
      const absl::Time expires = signed_at + absl::Seconds(parsed.expires);
      prepared.verdict.expire_time = expires;
      if (now > expires) {
        Refuse(prepared, codes::kAccessDenied, "Request has expired");
        return false;
      }
      if (signed_at - now > options.max_skew) {
        Refuse(prepared, codes::kAccessDenied, "Request is not valid yet");
        return false;
      }
      return true;
    }
  } else if (parsed.form == SignatureForm::kQuery) {
    const absl::Time expires = absl::FromUnixSeconds(parsed.expires);
    prepared.verdict.expire_time = expires;
    if (now > expires) {
      Refuse(prepared, codes::kAccessDenied, "Request has expired");
      return false;
    }
    return true;
  } else if (!ParseHttpDate(parsed.v2_date, signed_at)) {
    ParseAmzDate(parsed.v2_date, signed_at);
  }
  if (absl::AbsDuration(now - signed_at) > options.max_skew) {
    Refuse(prepared, codes::kRequestTimeTooSkewed,
           absl::StrCat("The difference between the request time and the "
                        "server's time is too large (more than ",
                        absl::FormatDuration(options.max_skew), ")"));
    return false;
  }
  return true;
}

// The payload line of a SigV4 canonical request; nullopt when refused.
absl::StatusOr<std::optional<std::string>> SigV4Payload(
    const SignedRequest& request, const ParsedSignature& parsed,
    PreparedSignatureCheck& prepared) {
  std::optional<absl::string_view> header =
      FirstHeader(request, "x-amz-content-sha256");
  if (header.has_value()) {
    const absl::string_view value = absl::StripAsciiWhitespace(*header);
    if (value == kUnsignedPayload ||
        value == kStreamingUnsignedPayloadTrailer) {
      return std::optional<std::string>(std::string(value));
    }
    if (!IsHex64(value, /*lowercase_only=*/false)) {
      Refuse(prepared, codes::kInvalidArgument,
             "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
             "STREAMING-UNSIGNED-PAYLOAD-TRAILER or a hex SHA-256");
      return std::optional<std::string>();
    }
    if (!request.payload_sha256.empty() &&
        absl::AsciiStrToLower(value) != request.payload_sha256) {
      Refuse(prepared, codes::kXAmzContentSha256Mismatch,
             "The provided 'x-amz-content-sha256' header does not match "
             "what was computed.");
      return std::optional<std::string>();
    }
    return std::optional<std::string>(std::string(value));
  }
  // S3 presigned URLs cannot know the body they will carry.
  if (parsed.form == SignatureForm::kQuery && parsed.service == "s3") {
    return std::optional<std::string>(std::string(kUnsignedPayload));
  }
  if (request.payload_sha256.empty()) {
    return absl::InvalidArgumentError(
        "request.payload_sha256 is required: the request has no "
        "x-amz-content-sha256 header, so its signature covers the body's "
        "SHA-256, which only the gateway can compute");
  }
  return std::optional<std::string>(request.payload_sha256);
}

}  // namespace

absl::StatusOr<PreparedSignatureCheck> PrepareSignatureCheck(
    const SignedRequest& request, const ParsedSignature& parsed, absl::Time now,
    const SignatureCheckOptions& options) {
  if (!request.payload_sha256.empty() &&
      !IsHex64(request.payload_sha256, /*lowercase_only=*/true)) {
    return absl::InvalidArgumentError(
        "request.payload_sha256 must be 64 lowercase hex digits");
  }
  PreparedSignatureCheck prepared;
  SignatureVerdict& verdict = prepared.verdict;
  verdict.version = parsed.version;
  verdict.access_key_id = parsed.access_key_id;
  verdict.region = parsed.region;
  verdict.service = parsed.service;
  if (!CheckTime(parsed, now, options, prepared)) return prepared;

  if (parsed.version == SignatureVersion::kAwsSigV4) {
    absl::StatusOr<std::optional<std::string>> payload =
        SigV4Payload(request, parsed, prepared);
    if (!payload.ok()) return payload.status();
    if (!payload->has_value()) return prepared;
    verdict.signed_payload = **payload;
    prepared.canonical_request = SigV4CanonicalRequest(
        request, parsed.signed_headers, parsed.form,
        PathRuleForService(parsed.service), verdict.signed_payload);
    prepared.strings_to_sign.push_back(
        SigV4StringToSign(parsed.amz_date, parsed.scope_date, parsed.region,
                          parsed.service, prepared.canonical_request));
    return prepared;
  }
  if (parsed.version == SignatureVersion::kObsV2) {
    prepared.strings_to_sign.push_back(
        V2StringToSign(request, parsed, V2Dialect::kObsSdkObs));
    return prepared;
  }
  // AWS V2: botocore's rules first, then its auth_path quirks and the OBS
  // SDK's rules where they differ.
  prepared.strings_to_sign.push_back(
      V2StringToSign(request, parsed, V2Dialect::kBotocore));
  std::vector<std::string> more = V2BotocoreAuthPathStrings(request, parsed);
  more.push_back(V2StringToSign(request, parsed, V2Dialect::kObsSdkAws));
  for (std::string& candidate : more) {
    if (std::find(prepared.strings_to_sign.begin(),
                  prepared.strings_to_sign.end(),
                  candidate) == prepared.strings_to_sign.end()) {
      prepared.strings_to_sign.push_back(std::move(candidate));
    }
  }
  return prepared;
}

SignatureVerdict FinishSignatureCheck(const PreparedSignatureCheck& prepared,
                                      const ParsedSignature& parsed,
                                      absl::string_view secret) {
  std::string key = SigningKeyFor(parsed, secret);
  SignatureVerdict verdict = FinishSignatureCheckWithKey(prepared, parsed, key);
  crypto::Cleanse(key);
  return verdict;
}

std::string SigningKeyFor(const ParsedSignature& parsed,
                          absl::string_view secret) {
  if (parsed.version != SignatureVersion::kAwsSigV4) return std::string(secret);
  return SigV4SigningKey(secret, parsed.scope_date, parsed.region,
                         parsed.service);
}

std::string SigningKeyScope(const ParsedSignature& parsed) {
  if (parsed.version != SignatureVersion::kAwsSigV4) return "";
  return absl::StrCat(parsed.scope_date, "/", parsed.region, "/",
                      parsed.service);
}

SignatureVerdict FinishSignatureCheckWithKey(
    const PreparedSignatureCheck& prepared, const ParsedSignature& parsed,
    absl::string_view signing_key) {
  SignatureVerdict verdict = prepared.verdict;
  bool match = false;
  if (parsed.version == SignatureVersion::kAwsSigV4) {
    match = crypto::ConstantTimeEquals(
        SigV4Signature(signing_key, prepared.strings_to_sign.front()),
        parsed.signature);
  } else {
    for (const std::string& string_to_sign : prepared.strings_to_sign) {
      // Every dialect is computed, so the time taken does not say which
      // one matched.
      if (crypto::ConstantTimeEquals(V2Signature(signing_key, string_to_sign),
                                     parsed.signature)) {
        match = true;
      }
    }
  }
  if (match) {
    verdict.valid = true;
    return verdict;
  }
  verdict.error_code = std::string(codes::kSignatureDoesNotMatch);
  verdict.error_message =
      "The request signature we calculated does not match the signature you "
      "provided. Check your key and signing method.";
  verdict.string_to_sign = prepared.strings_to_sign.front();
  verdict.canonical_request = prepared.canonical_request;
  return verdict;
}

}  // namespace identity::auth
