#ifndef IDENTITY_AUTH_SIGNED_REQUEST_H_
#define IDENTITY_AUTH_SIGNED_REQUEST_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace identity::auth {

// An HTTP request exactly as a gateway received it, nothing decoded: the
// auth layer's copy of identity.v1.SignedHttpRequest.
struct SignedRequest {
  struct Header {
    std::string name;
    std::string value;
  };
  std::string method;
  // As on the request line, still %-encoded.
  std::string path;
  // After '?', still encoded; empty if none.
  std::string query;
  // Every header in arrival order, repeats kept.
  std::vector<Header> headers;
  // Lowercase hex SHA-256 of the body, if the gateway computed it.
  std::string payload_sha256;
  // OBS/V2 virtual-hosted style: the bucket the Host names.
  std::string bucket;
};

// The values of every header named `lowercase_name` (any case), in arrival
// order.
std::vector<absl::string_view> HeaderValues(const SignedRequest& request,
                                            absl::string_view lowercase_name);
// The first such value; nullopt if there is none.
std::optional<absl::string_view> FirstHeader(const SignedRequest& request,
                                             absl::string_view lowercase_name);

enum class SignatureVersion { kUnspecified, kObsV2, kAwsV2, kAwsSigV4 };

// "OBS_V2", "AWS_V2", "AWS_SIGV4" or "UNSPECIFIED": metric labels, logs.
absl::string_view SignatureVersionName(SignatureVersion version);

// What a verification concluded. Never holds the secret or the signature.
struct SignatureVerdict {
  bool valid = false;
  // When !valid: the S3/OBS error code a gateway answers as is.
  std::string error_code;
  std::string error_message;
  std::string access_key_id;
  std::string user_id;
  std::string user_name;
  SignatureVersion version = SignatureVersion::kUnspecified;
  // SigV4 credential scope.
  std::string region;
  std::string service;
  // What the signature covers: a hex SHA-256, UNSIGNED-PAYLOAD, ...
  std::string signed_payload;
  // Query (presigned) forms: when the URL stops being valid.
  std::optional<absl::Time> expire_time;
  // On SignatureDoesNotMatch, as S3 reports them, to debug clients.
  std::string string_to_sign;
  std::string canonical_request;
};

// The error codes of a refused request, as S3 and OBS name them.
namespace signature_errors {
inline constexpr absl::string_view kSignatureDoesNotMatch =
    "SignatureDoesNotMatch";
inline constexpr absl::string_view kInvalidAccessKeyId = "InvalidAccessKeyId";
inline constexpr absl::string_view kAccessDenied = "AccessDenied";
inline constexpr absl::string_view kRequestTimeTooSkewed =
    "RequestTimeTooSkewed";
inline constexpr absl::string_view kAuthorizationHeaderMalformed =
    "AuthorizationHeaderMalformed";
inline constexpr absl::string_view kAuthorizationQueryParametersError =
    "AuthorizationQueryParametersError";
inline constexpr absl::string_view kXAmzContentSha256Mismatch =
    "XAmzContentSHA256Mismatch";
inline constexpr absl::string_view kInvalidToken = "InvalidToken";
inline constexpr absl::string_view kNotImplemented = "NotImplemented";
// A malformed x-amz-content-sha256, or two ways of signing at once; S3
// answers these with InvalidArgument too.
inline constexpr absl::string_view kInvalidArgument = "InvalidArgument";
}  // namespace signature_errors

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SIGNED_REQUEST_H_
