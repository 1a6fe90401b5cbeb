#include "auth/access_key_manager.h"

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "auth/crypto.h"
#include "auth/error_reason.h"
#include "auth/key_generator.h"
#include "auth/target_user.h"
#include "auth/validation.h"

namespace identity::auth {
namespace {

// A fresh 20-character id colliding is a ~2^-100 event; retrying a couple of
// times keeps even a broken random source from looping forever.
constexpr int kMaxIdAttempts = 3;

}  // namespace

AccessKeyManager::AccessKeyManager(storage::Store& store,
                                   const SecretSealer& sealer,
                                   const Clock& clock, RandomSource& random,
                                   int max_keys_per_user)
    : store_(store),
      sealer_(sealer),
      clock_(clock),
      random_(random),
      max_keys_per_user_(max_keys_per_user) {}

absl::StatusOr<CreatedAccessKey> AccessKeyManager::CreateAccessKey(
    const Principal& caller, absl::string_view user_name,
    absl::string_view description) {
  if (absl::Status s =
          ValidateText("description", description, kMaxDescriptionLength);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<storage::UserRecord> owner =
      ResolveTargetUser(store_, caller, "user_name", user_name);
  if (!owner.ok()) return owner.status();

  absl::StatusOr<std::string> secret = GenerateSecretAccessKey(random_);
  if (!secret.ok()) return secret.status();
  // The plaintext leaves this function only in the successful result.
  absl::Cleanup wipe_secret = [&secret] { crypto::Cleanse(*secret); };
  CreatedAccessKey created;
  created.key.user_name = owner->user_name();
  storage::AccessKeyRecord& record = created.key.record;
  record.set_user_id(owner->user_id());
  record.set_status(storage::AccessKeyRecord::ACTIVE);
  record.set_description(std::string(description));
  record.set_create_time_micros(absl::ToUnixMicros(clock_.Now()));

  absl::Status status;
  for (int attempt = 0; attempt < kMaxIdAttempts; ++attempt) {
    absl::StatusOr<std::string> id = GenerateAccessKeyId(random_);
    if (!id.ok()) return id.status();
    absl::StatusOr<storage::SealedSecret> sealed = sealer_.Seal(*id, *secret);
    if (!sealed.ok()) return sealed.status();
    record.set_access_key_id(*id);
    *record.mutable_sealed_secret() = *std::move(sealed);
    status = store_.CreateAccessKey(record, max_keys_per_user_);
    if (!absl::IsAlreadyExists(status)) break;
  }
  if (absl::IsFailedPrecondition(status)) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "user ", owner->user_name(), " already has ", max_keys_per_user_,
            " access keys (active and inactive count): delete one first")),
        kAccessKeyLimitExceeded);
  }
  if (absl::IsNotFound(status)) {
    return absl::NotFoundError("user not found");  // deleted meanwhile
  }
  if (!status.ok()) return status;
  record.clear_sealed_secret();  // callers have no use for it
  created.secret_access_key = *secret;
  return created;
}

absl::StatusOr<std::vector<OwnedAccessKey>> AccessKeyManager::ListAccessKeys(
    const Principal& caller, absl::string_view user_name) {
  absl::StatusOr<storage::UserRecord> owner =
      ResolveTargetUser(store_, caller, "user_name", user_name);
  if (!owner.ok()) return owner.status();
  absl::StatusOr<std::vector<storage::AccessKeyRecord>> records =
      store_.ListAccessKeys(owner->user_id());
  if (!records.ok()) return records.status();
  std::vector<OwnedAccessKey> keys;
  keys.reserve(records->size());
  for (storage::AccessKeyRecord& record : *records) {
    record.clear_sealed_secret();
    keys.push_back({std::move(record), owner->user_name()});
  }
  return keys;
}

}  // namespace identity::auth
