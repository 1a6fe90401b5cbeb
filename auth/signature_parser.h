#ifndef IDENTITY_AUTH_SIGNATURE_PARSER_H_
#define IDENTITY_AUTH_SIGNATURE_PARSER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "auth/signed_request.h"

namespace identity::auth {

// Where the signature travels: an Authorization header, or query
// parameters (a presigned or temporary URL).
enum class SignatureForm { kHeader, kQuery };

// The signature a request carries, decoded from its Authorization header or
// its query string, before any key is looked up.
struct ParsedSignature {
  SignatureVersion version = SignatureVersion::kUnspecified;
  SignatureForm form = SignatureForm::kHeader;
  std::string access_key_id;
  // As the client sent it (query values percent-decoded): lowercase hex
  // for SigV4, base64 for V2.
  std::string signature;
  // SigV4: X-Amz-Date (YYYYMMDD'T'HHMMSS'Z'), the credential scope, and the
  // signed header names in the order the client listed them.
  std::string amz_date;
  std::string scope_date;
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;
  // SigV4 query form: X-Amz-Expires in seconds. V2 query form: Expires, an
  // absolute Unix time.
  int64_t expires = 0;
  // V2 header form: the request time, from x-obs-date / x-amz-date or Date.
  std::string v2_date;
  // V2: true when x-obs-date / x-amz-date gave the time, so the Date line
  // of the string to sign is empty.
  bool v2_date_from_prefixed_header = false;
};

// ParseSignature's answer: `parsed`, or a refusal with an S3/OBS error code.
struct ParseResult {
  ParsedSignature parsed;
  std::string error_code;
  std::string error_message;
  bool ok() const { return error_code.empty(); }
};

// Recognizes which scheme signed `request` and decodes its parameters,
// refusing malformed ones, a security token (InvalidToken: there are no
// temporary credentials) and signed-chunk streaming (NotImplemented).
// Pure and total: any bytes in gives an answer, never a crash. `parsed`
// carries the version and access key id as far as they were read, even on
// a refusal, for the log and the metrics.
ParseResult ParseSignature(const SignedRequest& request);

// "Tue, 01 Dec 2026 22:36:44 GMT" (RFC 7231; RFC 850 and asctime too) as
// sent in Date; false if it is none of them.
bool ParseHttpDate(absl::string_view text, absl::Time& out);
// "20261201T223644Z".
bool ParseAmzDate(absl::string_view text, absl::Time& out);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SIGNATURE_PARSER_H_
