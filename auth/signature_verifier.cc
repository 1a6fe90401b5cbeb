#include "auth/signature_verifier.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "auth/access_key_lifetime.h"
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
                                     SignatureCheckOptions options,
                                     size_t signing_key_cache_entries)
    : store_(store),
      sealer_(sealer),
      clock_(clock),
      last_use_(last_use),
      options_(options),
      signing_keys_(
          signing_key_cache_entries > 0
              ? std::make_unique<SigningKeyCache>(signing_key_cache_entries)
              : nullptr) {}

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
  const absl::Time now = clock_.Now();
  if (key->status() != storage::AccessKeyRecord::ACTIVE ||
      IsDeactivationDue(*key, now)) {
    return UnknownKey(prepared->verdict);
  }
  absl::StatusOr<storage::UserRecord> owner =
      store_.GetUserById(key->user_id());
  if (absl::IsNotFound(owner.status())) return UnknownKey(prepared->verdict);
  if (!owner.ok()) return owner.status();
  if (owner->disabled()) return UnknownKey(prepared->verdict);

  // An expired key is refused whatever its signature, but its holder is
  // told why (below), so the signature is still checked: with a key opened
  // for this call only, never found in or added to the cache, which holds
  // the keys of usable keys alone.
  const bool expired = IsExpired(*key, now);
  const std::string scope = SigningKeyScope(parsed);
  std::optional<std::string> cached;
  if (signing_keys_ != nullptr && !expired) {
    cached =
        signing_keys_->Find(key->access_key_id(), key->sealed_secret(), scope);
  }
  std::string signing_key;
  if (cached.has_value()) {
    signing_key = std::move(*cached);
    crypto::Cleanse(*cached);  // what a short string's move leaves behind
  } else {
    absl::StatusOr<std::string> secret =
        sealer_.Open(key->access_key_id(), key->sealed_secret());
    if (!secret.ok()) return secret.status();
    signing_key = SigningKeyFor(parsed, *secret);
    crypto::Cleanse(*secret);
  }
  SignatureVerdict verdict =
      FinishSignatureCheckWithKey(*prepared, parsed, signing_key);
  if (verdict.valid && !expired && !cached.has_value() &&
      signing_keys_ != nullptr) {
    signing_keys_->Insert(key->access_key_id(), key->sealed_secret(), scope,
                          signing_key);
  }
  crypto::Cleanse(signing_key);
  if (expired) {
    // Refused either way. Only a caller who proved they hold the secret
    // (a signature that matched) learns why; for anyone else an expired
    // key is as unknown as a deleted one.
    if (!verdict.valid) return UnknownKey(prepared->verdict);
    verdict = UnknownKey(prepared->verdict);
    verdict.error_message =
        "The access key you provided has expired; create a new one.";
    return verdict;
  }
  if (!verdict.valid) return verdict;
  verdict.user_id = owner->user_id();
  verdict.user_name = owner->user_name();
  if (last_use_ != nullptr) {
    last_use_->Record(parsed.access_key_id, parsed.service, parsed.region);
  }
  return verdict;
}

}  // namespace identity::auth
