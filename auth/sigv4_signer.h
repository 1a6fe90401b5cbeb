#ifndef IDENTITY_AUTH_SIGV4_SIGNER_H_
#define IDENTITY_AUTH_SIGV4_SIGNER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "auth/signature_parser.h"
#include "auth/signed_request.h"

// AWS Signature Version 4 (AWS4-HMAC-SHA256) as pure functions from request
// parts to the canonical request, the string to sign and the signature,
// following the SigV4 test suite (tests/auth/testdata) and botocore. A
// verifier is these plus a constant-time compare. Thread-safe.
namespace identity::auth {

inline constexpr absl::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr absl::string_view kStreamingUnsignedPayloadTrailer =
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

// How the canonical URI comes from the path as sent.
enum class SigV4PathRule {
  // S3: the path as sent, not normalized, encoded once (only bytes that
  // cannot be on a request line are escaped).
  kAsSent,
  // Every other service: dot segments and empty segments removed, then
  // UriEncode'd, so an already encoded path is encoded twice.
  kNormalizeAndEncode,
  // UriEncode'd without normalizing (the suite's "unnormalized" cases).
  kEncodeOnly,
};

// The rule the service in the credential scope uses.
SigV4PathRule PathRuleForService(absl::string_view service);

std::string SigV4CanonicalUri(absl::string_view path, SigV4PathRule rule);
// Parameters decoded then UriEncode'd, sorted by name then value; in the
// query form X-Amz-Signature is left out.
std::string SigV4CanonicalQuery(absl::string_view query, SignatureForm form);
// "name:value\n" per signed header, in the order listed: values trimmed,
// inner whitespace runs collapsed, repeats joined by ','.
std::string SigV4CanonicalHeaders(
    const SignedRequest& request,
    const std::vector<std::string>& signed_headers);

std::string SigV4CanonicalRequest(
    const SignedRequest& request,
    const std::vector<std::string>& signed_headers, SignatureForm form,
    SigV4PathRule rule, absl::string_view payload);
std::string SigV4StringToSign(absl::string_view amz_date,
                              absl::string_view scope_date,
                              absl::string_view region,
                              absl::string_view service,
                              absl::string_view canonical_request);
// The derived key for a date, region and service (binary). A secret:
// callers cleanse it after use.
std::string SigV4SigningKey(absl::string_view secret,
                            absl::string_view scope_date,
                            absl::string_view region,
                            absl::string_view service);
// Lowercase hex HMAC-SHA256 of the string to sign.
std::string SigV4Signature(absl::string_view signing_key,
                           absl::string_view string_to_sign);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SIGV4_SIGNER_H_
