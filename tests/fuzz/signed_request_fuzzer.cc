// The signed-request decoder and the canonicalizers: any bytes, as a
// VerifySignatureRequest on the wire or as "method\npath\nquery\nname:value
// ..." lines, through ParseSignature, the time and payload rules, every
// string to sign and the comparison, and back to the API's response, which
// must serialize as valid proto3 (UTF-8 strings). Never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "auth/signature_check.h"
#include "auth/signature_parser.h"
#include "auth/sigv2_signer.h"
#include "auth/sigv4_signer.h"
#include "auth/uri_encoding.h"
#include "auth/validation.h"
#include "identity/v1/signature_service.pb.h"
#include "service/signature_service.h"

namespace {

namespace auth = identity::auth;

auth::SignedRequest FromLines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  auth::SignedRequest request;
  if (lines.size() > 0) request.method = lines[0];
  if (lines.size() > 1) request.path = lines[1];
  if (lines.size() > 2) request.query = lines[2];
  for (size_t i = 3; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) {
      request.bucket = lines[i];
      continue;
    }
    request.headers.push_back(
        {lines[i].substr(0, colon), lines[i].substr(colon + 1)});
  }
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  auth::SignedRequest request;
  if (data[0] % 2 == 0) {
    identity::v1::VerifySignatureRequest message;
    if (!message.ParseFromString(bytes)) return 0;
    request = identity::service::FromApi(std::move(*message.mutable_request()));
  } else {
    request = FromLines(bytes);
  }
  // Pure helpers on their own.
  auth::PercentDecode(request.query);
  auth::RemoveDotSegments(request.path);
  auth::SigV4CanonicalQuery(request.query, auth::SignatureForm::kQuery);

  auth::ParseResult parse = auth::ParseSignature(request);
  auth::SignatureVerdict verdict;
  if (parse.ok()) {
    // A time near the inputs' dates, so the signature paths run too.
    absl::Time now = absl::FromUnixSeconds(1796164604);
    auth::ParseAmzDate(parse.parsed.amz_date, now);
    absl::StatusOr<auth::PreparedSignatureCheck> prepared =
        auth::PrepareSignatureCheck(request, parse.parsed, now, {});
    if (prepared.ok()) {
      verdict = prepared->verdict;
      if (verdict.error_code.empty()) {
        if (prepared->strings_to_sign.empty()) std::abort();
        verdict = auth::FinishSignatureCheck(*prepared, parse.parsed,
                                             "fuzz-secret-0123456789");
        // A verdict is valid exactly when it names no error.
        if (verdict.valid != verdict.error_code.empty()) std::abort();
      }
    }
  } else {
    verdict.error_code = parse.error_code;
    verdict.access_key_id = parse.parsed.access_key_id;
  }
  identity::v1::VerifySignatureResponse response;
  identity::service::ToApi(verdict, &response);
  for (const std::string* field :
       {&response.access_key_id(), &response.region(), &response.service(),
        &response.string_to_sign(), &response.canonical_request(),
        &response.signed_payload()}) {
    if (!auth::IsValidUtf8(*field)) std::abort();
  }
  return 0;
}
