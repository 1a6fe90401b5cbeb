#ifndef IDENTITY_AUTH_SIGNATURE_CHECK_H_
#define IDENTITY_AUTH_SIGNATURE_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/signature_parser.h"
#include "auth/signed_request.h"

// The rules a signed request must meet besides its signature (time, payload)
// and the signature comparison itself, as pure functions: the verifier adds
// only the key lookup. Thread-safe.
namespace identity::auth {

inline constexpr absl::Duration kDefaultMaxRequestSkew = absl::Minutes(15);

struct SignatureCheckOptions {
  // How far a header-signed request's time may be from ours.
  absl::Duration max_skew = kDefaultMaxRequestSkew;
};

// What can be decided before the secret is known.
struct PreparedSignatureCheck {
  // Filled in as far as known; with an error_code when already refused.
  SignatureVerdict verdict;
  // The string(s) to sign: V2 has one per client dialect that differs.
  std::vector<std::string> strings_to_sign;
  std::string canonical_request;  // SigV4 only
};

// Applies the time rules (skew for the header forms, expiry for the query
// forms) and, for SigV4, the payload rules, and builds the strings to sign.
// InvalidArgument (the gateway's own mistake, not the client's) when the
// request needs the gateway's payload_sha256 and it is missing or not hex.
absl::StatusOr<PreparedSignatureCheck> PrepareSignatureCheck(
    const SignedRequest& request, const ParsedSignature& parsed, absl::Time now,
    const SignatureCheckOptions& options);

// Computes the signature with `secret` and compares it in constant time;
// returns the verdict: valid, or SignatureDoesNotMatch with the string to
// sign and canonical request. `prepared` must not be refused already.
SignatureVerdict FinishSignatureCheck(const PreparedSignatureCheck& prepared,
                                      const ParsedSignature& parsed,
                                      absl::string_view secret);

// The key a signature of `parsed`'s kind is computed with: for SigV4 the key
// derived from `secret` for the request's date, region and service; for V2
// the secret itself. A secret: the caller cleanses it.
std::string SigningKeyFor(const ParsedSignature& parsed,
                          absl::string_view secret);

// "date/region/service" for SigV4, "" for V2: what SigningKeyFor depends on
// besides the secret.
std::string SigningKeyScope(const ParsedSignature& parsed);

// FinishSignatureCheck with the key SigningKeyFor gave.
SignatureVerdict FinishSignatureCheckWithKey(
    const PreparedSignatureCheck& prepared, const ParsedSignature& parsed,
    absl::string_view signing_key);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SIGNATURE_CHECK_H_
