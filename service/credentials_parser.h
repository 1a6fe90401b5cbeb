#ifndef IDENTITY_SERVICE_CREDENTIALS_PARSER_H_
#define IDENTITY_SERVICE_CREDENTIALS_PARSER_H_

#include <grpcpp/support/string_ref.h>

#include <map>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/principal.h"

namespace identity::service {

inline constexpr absl::string_view kAuthorizationHeader = "authorization";
inline constexpr absl::string_view kVerificationCodeHeader =
    "x-verification-code";

// Parses what a caller presented:
//   authorization: Basic base64(user_name:password)   (RFC 7617)
//   authorization: Bearer <token>                      (RFC 6750)
//   x-verification-code: <4-10 digits>
// Absent headers leave their fields empty; a header that is present but
// malformed, or sent twice, is Unauthenticated (it is a failed credential,
// whatever the cause). Messages never quote the header's value.
absl::StatusOr<auth::Credentials> ParseCredentials(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// The same on plain values (nullopt-like empty pointers for absent headers):
// the part that fuzzing and unit tests drive directly.
absl::StatusOr<auth::Credentials> ParseCredentialHeaders(
    const absl::string_view* authorization,
    const absl::string_view* verification_code);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_CREDENTIALS_PARSER_H_
