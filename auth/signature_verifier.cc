#include "auth/signature_verifier.h"

#include <string>

#include "auth/crypto.h"
#include "auth/signature_parser.h"

namespace identity::auth {
namespace {

namespace codes = signature_errors;

// Longer ids are not ids: refused without a store read.
constexpr size_t kMaxAccessKeyIdLength = 128;

bool IsPlausibleAccessKeyId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxAccessKeyIdLength) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

SignatureVerdict UnknownKey(SignatureVerdict verdict) {
  // One answer for unknown, inactive and deleted keys and disabled owners,
  // as S3 gives: a client cannot tell them apart by probing.
  verdict.error_code = std::string(codes::kInvalidAccessKeyId);
  verdict.error_message =
      "The access key id you provided does not exist in our records.";
  return verdict;
}

}  // namespace

SignatureVerifier::SignatureVerifier(storage::Store& store,
                                     const SecretSealer& sealer,
                                     const Clock& clock,
                                     LastUseRecorder* last_use,
                                     SignatureCheckOptions options)
    : store_(store),
      sealer_(sealer),
      clock_(clock),
      last_use_(last_use),
      options_(options) {}

absl::StatusOr<SignatureVerdict> SignatureVerifier::Verify(
    const Principal& caller, const SignedRequest& request) const {
  const bool full_admin = caller.is_admin && !caller.read_only;
  if (!full_admin && !caller.verifier) {
    return absl::PermissionDeniedError(
        "only admins and verifier services may verify signatures");
  }
  ParseResult parse = ParseSignature(request);
  if (!parse.ok()) {
    SignatureVerdict verdict;
    verdict.version = parse.parsed.version;
    verdict.access_key_id = parse.parsed.access_key_id;
    verdict.region = parse.parsed.region;
    verdict.service = parse.parsed.service;
    verdict.error_code = std::move(parse.error_code);
    verdict.error_message = std::move(parse.error_message);
    return verdict;
  }
  const ParsedSignature& parsed = parse.parsed;
  absl::StatusOr<PreparedSignatureCheck> prepared =
      PrepareSignatureCheck(request, parsed, clock_.Now(), options_);
  if (!prepared.ok()) return prepared.status();
  if (!prepared->verdict.error_code.empty()) return prepared->verdict;

  if (!IsPlausibleAccessKeyId(parsed.access_key_id)) {
    return UnknownKey(prepared->verdict);
  }
  absl::StatusOr<storage::AccessKeyRecord> key =
      store_.GetAccessKey(parsed.access_key_id);
  if (absl::IsNotFound(key.status()) || absl::IsInvalidArgument(key.status())) {
    return UnknownKey(prepared->verdict);
  }
  if (!key.ok()) return key.status();
  if (key->status() != storage::AccessKeyRecord::ACTIVE) {
    return UnknownKey(prepared->verdict);
  }
  absl::StatusOr<storage::UserRecord> owner =
      store_.GetUserById(key->user_id());
  if (absl::IsNotFound(owner.status())) return UnknownKey(prepared->verdict);
  if (!owner.ok()) return owner.status();
  if (owner->disabled()) return UnknownKey(prepared->verdict);

  absl::StatusOr<std::string> secret =
      sealer_.Open(key->access_key_id(), key->sealed_secret());
  if (!secret.ok()) return secret.status();
  SignatureVerdict verdict = FinishSignatureCheck(*prepared, parsed, *secret);
  crypto::Cleanse(*secret);
  if (!verdict.valid) return verdict;
  verdict.user_id = owner->user_id();
  verdict.user_name = owner->user_name();
  if (last_use_ != nullptr) {
    last_use_->Record(parsed.access_key_id, parsed.service, parsed.region);
  }
  return verdict;
}

}  // namespace identity::auth
