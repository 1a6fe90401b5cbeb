#include "service/signature_service.h"

#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "auth/validation.h"
#include "service/proto_mapping.h"

namespace identity::service {
namespace {

// Percent-decoding can turn a client's bytes into invalid UTF-8, which a
// proto3 string must not carry (other languages' clients fail to parse
// it): such a value is sent C-escaped instead.
std::string Utf8Safe(const std::string& value) {
  return auth::IsValidUtf8(value) ? value : absl::CHexEscape(value);
}

// The access key id as the access log shows it: a client chose these
// bytes, so they are bounded and escaped.
std::string LoggedKeyId(const std::string& id) {
  constexpr size_t kMaxLogged = 64;
  std::string bounded = id.substr(0, kMaxLogged);
  return absl::CHexEscape(bounded);
}

v1::SignatureVersion ToApi(auth::SignatureVersion version) {
  switch (version) {
    case auth::SignatureVersion::kObsV2:
      return v1::OBS_V2;
    case auth::SignatureVersion::kAwsV2:
      return v1::AWS_V2;
    case auth::SignatureVersion::kAwsSigV4:
      return v1::AWS_SIGV4;
    case auth::SignatureVersion::kUnspecified:
      break;
  }
  return v1::SIGNATURE_VERSION_UNSPECIFIED;
}

}  // namespace

auth::SignedRequest FromApi(v1::SignedHttpRequest&& request) {
  auth::SignedRequest out;
  out.method = std::move(*request.mutable_method());
  out.path = std::move(*request.mutable_path());
  out.query = std::move(*request.mutable_query());
  out.headers.reserve(request.headers_size());
  for (v1::HttpHeader& header : *request.mutable_headers()) {
    out.headers.push_back({std::move(*header.mutable_name()),
                           std::move(*header.mutable_value())});
  }
  out.payload_sha256 = std::move(*request.mutable_payload_sha256());
  out.bucket = std::move(*request.mutable_bucket());
  return out;
}

void ToApi(const auth::SignatureVerdict& verdict,
           v1::VerifySignatureResponse* out) {
  out->set_valid(verdict.valid);
  out->set_error_code(verdict.error_code);
  out->set_error_message(verdict.error_message);
  out->set_access_key_id(Utf8Safe(verdict.access_key_id));
  out->set_user_id(verdict.user_id);
  out->set_user_name(verdict.user_name);
  out->set_signature_version(ToApi(verdict.version));
  out->set_region(Utf8Safe(verdict.region));
  out->set_service(Utf8Safe(verdict.service));
  out->set_signed_payload(Utf8Safe(verdict.signed_payload));
  if (verdict.expire_time.has_value()) {
    SetTimestamp(absl::ToUnixMicros(*verdict.expire_time),
                 out->mutable_expire_time());
  }
  out->set_string_to_sign(Utf8Safe(verdict.string_to_sign));
  out->set_canonical_request(Utf8Safe(verdict.canonical_request));
}

grpc::ServerUnaryReactor* SignatureServiceImpl::VerifySignature(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunNotingUnary<v1::VerifySignatureRequest, v1::VerifySignatureResponse>(
          context, "VerifySignature", request, response,
          [this](const auth::Principal& caller,
                 v1::VerifySignatureRequest& request,
                 v1::VerifySignatureResponse& response, AccessLogNote& note) {
            absl::StatusOr<auth::SignatureVerdict> verdict = verifier_.Verify(
                caller, FromApi(std::move(*request.mutable_request())));
            if (!verdict.ok()) {
              note.result = "error";
              if (metrics_ != nullptr) {
                metrics_->RecordSignatureVerification("UNSPECIFIED", "error");
              }
              return verdict.status();
            }
            note.access_key_id = LoggedKeyId(verdict->access_key_id);
            note.result = verdict->valid ? "valid" : verdict->error_code;
            if (metrics_ != nullptr) {
              metrics_->RecordSignatureVerification(
                  auth::SignatureVersionName(verdict->version), note.result);
            }
            ToApi(*verdict, &response);
            return absl::OkStatus();
          },
          Access::kVerifySignature);
}

}  // namespace identity::service
