#ifndef IDENTITY_AUTH_SIGV2_SIGNER_H_
#define IDENTITY_AUTH_SIGV2_SIGNER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "auth/signature_parser.h"
#include "auth/signed_request.h"

// The V2 schemes (HMAC-SHA1 over a string to sign), OBS's and AWS's, as
// pure functions. The string to sign is
//   Method \n Content-MD5 \n Content-Type \n Date-or-Expires \n
//   x-obs-* / x-amz-* headers (lowercase, sorted, "name:value\n") +
//   /bucket/path?sub-resources
// and clients disagree on which query parameters are sub-resources, so the
// rules of each client family are a dialect. Thread-safe.
namespace identity::auth {

enum class V2Dialect {
  // botocore's HmacV1Auth / HmacV1QueryAuth (AWS V2): its list of
  // sub-resources, names compared exactly, "name=" kept for an empty value;
  // a temporary URL's x-amz-* parameters are signed as headers.
  kBotocore,
  // esdk-obs-nodejs in V2 mode (path-style, "AWS ak:"): its longer list,
  // names compared without case, an empty value signed as the bare name;
  // a temporary URL's x-amz-* parameters are sub-resources.
  kObsSdkAws,
  // esdk-obs-nodejs in OBS mode ("OBS ak:", x-obs-* headers).
  kObsSdkObs,
};

// The V2 string to sign of `request` under `dialect`; `parsed` says whether
// it is the header or the query form and which date header gave the time.
std::string V2StringToSign(const SignedRequest& request,
                           const ParsedSignature& parsed, V2Dialect dialect);

// The other strings botocore 1.29 signs for one request sent to an
// endpoint_url (as to any S3-compatible gateway), path-style or
// virtual-hosted: its auth_path then carries the operation's literal query,
// which canonical_resource appends again ("/b/k?acl?acl", "/b?list-type=2",
// "/b?delete?delete"), and a path-style bucket-only path gains a '/'
// ("/b/"). Every string is a signature over the whole resource, so accepting
// them admits nothing unsigned.
std::vector<std::string> V2BotocoreAuthPathStrings(
    const SignedRequest& request, const ParsedSignature& parsed);

// Base64 HMAC-SHA1, as the Authorization header and Signature carry it.
std::string V2Signature(absl::string_view secret,
                        absl::string_view string_to_sign);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SIGV2_SIGNER_H_
