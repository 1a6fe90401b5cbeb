#include "auth/signed_request.h"

#include "absl/strings/match.h"

namespace identity::auth {

std::vector<absl::string_view> HeaderValues(const SignedRequest& request,
                                            absl::string_view lowercase_name) {
  std::vector<absl::string_view> values;
  for (const SignedRequest::Header& header : request.headers) {
    if (absl::EqualsIgnoreCase(header.name, lowercase_name)) {
      values.push_back(header.value);
    }
  }
  return values;
}

std::optional<absl::string_view> FirstHeader(const SignedRequest& request,
                                             absl::string_view lowercase_name) {
  for (const SignedRequest::Header& header : request.headers) {
    if (absl::EqualsIgnoreCase(header.name, lowercase_name)) {
      return absl::string_view(header.value);
    }
  }
  return std::nullopt;
}

absl::string_view SignatureVersionName(SignatureVersion version) {
  switch (version) {
    case SignatureVersion::kObsV2:
      return "OBS_V2";
    case SignatureVersion::kAwsV2:
      return "AWS_V2";
    case SignatureVersion::kAwsSigV4:
      return "AWS_SIGV4";
    case SignatureVersion::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

}  // namespace identity::auth
