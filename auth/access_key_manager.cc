#include "auth/access_key_manager.h"

#include <map>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/audit_event.h"
#include "auth/crypto.h"
#include "auth/error_reason.h"
#include "auth/key_generator.h"
#include "auth/paging.h"
#include "auth/target_user.h"
#include "auth/validation.h"

namespace identity::auth {
namespace {

// A fresh 20-character id colliding is a ~2^-100 event; retrying a couple of
// times keeps even a broken random source from looping forever.
constexpr int kMaxIdAttempts = 3;

absl::Status ValidateAccessKeyId(absl::string_view id) {
  if (id.size() != kAccessKeyIdLength ||
      id.find_first_not_of(std::string(kUpperAlphanumeric)) !=
          absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "access_key_id: must be 20 characters of A-Z 0-9");
  }
  return absl::OkStatus();
}

absl::Status KeyNotFound() {
  return absl::NotFoundError("access key not found");
}

}  // namespace

AccessKeyManager::AccessKeyManager(storage::Store& store,
                                   const SecretSealer& sealer,
                                   const Clock& clock, RandomSource& random,
                                   int max_keys_per_user,
                                   KeyAgePolicy age_policy)
    : store_(store),
      sealer_(sealer),
      clock_(clock),
      random_(random),
      max_keys_per_user_(max_keys_per_user),
      age_policy_(age_policy) {}

OwnedAccessKey AccessKeyManager::Describe(
    storage::AccessKeyRecord record, const storage::UserRecord& owner) const {
  record.clear_sealed_secret();
  const absl::Time now = clock_.Now();
  OwnedAccessKey key;
  key.user_name = owner.user_name();
  key.owner_enabled = !owner.disabled();
  key.usable = IsUsable(record, key.owner_enabled, now);
  key.expired = IsExpired(record, now);
  key.rotation_due = IsRotationDue(record, age_policy_, now);
  key.record = std::move(record);
  return key;
}

absl::StatusOr<CreatedAccessKey> AccessKeyManager::CreateAccessKey(
    const Principal& caller, absl::string_view user_name,
    absl::string_view description, const RequestedExpiry& expiry) {
  // Re-authentication, as the console asks for it: a stolen session token
  // alone must not mint long-lived credentials.
  if (!caller.password_verified) {
    return absl::UnauthenticatedError(
        "CreateAccessKey requires the password: send 'authorization: Basic "
        "base64(user_name:password)'");
  }
  if (absl::Status s =
          ValidateText("description", description, kMaxDescriptionLength);
      !s.ok()) {
    return s;
  }
  const absl::Time now = clock_.Now();
  absl::StatusOr<int64_t> expire_time_micros =
      ExpiryForNewKey(age_policy_, now, expiry);
  if (!expire_time_micros.ok()) return expire_time_micros.status();
  absl::StatusOr<storage::UserRecord> owner =
      ResolveTargetUser(store_, caller, "user_name", user_name);
  if (!owner.ok()) return owner.status();

  absl::StatusOr<std::string> secret = GenerateSecretAccessKey(random_);
  if (!secret.ok()) return secret.status();
  // The plaintext leaves this function only in the successful result.
  absl::Cleanup wipe_secret = [&secret] { crypto::Cleanse(*secret); };
  storage::AccessKeyRecord record;
  record.set_user_id(owner->user_id());
  record.set_status(storage::AccessKeyRecord::ACTIVE);
  record.set_description(std::string(description));
  record.set_create_time_micros(absl::ToUnixMicros(now));
  record.set_expire_time_micros(*expire_time_micros);

  absl::Status status;
  for (int attempt = 0; attempt < kMaxIdAttempts; ++attempt) {
    absl::StatusOr<std::string> id = GenerateAccessKeyId(random_);
    if (!id.ok()) return id.status();
    absl::StatusOr<storage::SealedSecret> sealed = sealer_.Seal(*id, *secret);
    if (!sealed.ok()) return sealed.status();
    record.set_access_key_id(*id);
    *record.mutable_sealed_secret() = *std::move(sealed);
    status = store_.CreateAccessKey(
        record, max_keys_per_user_, CredentialCheckOf(caller),
        AuditEvents(
            storage::AuditEventRecord::ACCESS_KEY_CREATED, caller, clock_,
            owner->user_id(), owner->user_name(), *id,
            record.expire_time_micros() == 0
                ? ""
                : absl::StrCat("expires=",
                               FormatUtcTime(record.expire_time_micros()))));
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
  if (absl::IsAborted(status)) {
    // The caller's password was reset, or they were disabled, after it was
    // verified: the key must not outlive that revocation.
    return absl::UnauthenticatedError(kInvalidCredentialsMessage);
  }
  if (!status.ok()) return status;
  CreatedAccessKey created;
  created.key = Describe(std::move(record), *owner);
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
    keys.push_back(Describe(std::move(record), *owner));
  }
  return keys;
}

absl::StatusOr<AccessKeyPage> AccessKeyManager::ListAllAccessKeys(
    const Principal& caller, int page_size, absl::string_view page_token) {
  if (!caller.is_admin) {
    return absl::PermissionDeniedError(
        "only an admin may list every user's keys");
  }
  absl::StatusOr<PageRequest> request = ParsePageRequest(
      page_size, page_token,
      [](absl::string_view key) { return ValidateAccessKeyId(key).ok(); });
  if (!request.ok()) return request.status();
  absl::StatusOr<std::vector<storage::AccessKeyRecord>> records =
      store_.ListAllAccessKeys(request->after_key, request->limit);
  if (!records.ok()) return records.status();
  AccessKeyPage page;
  // Taken before the records move out.
  page.next_page_token =
      NextPageToken(*request, static_cast<int>(records->size()),
                    records->empty() ? "" : records->back().access_key_id());
  std::map<std::string, storage::UserRecord> owners;
  for (storage::AccessKeyRecord& record : *records) {
    auto owner = owners.find(record.user_id());
    if (owner == owners.end()) {
      absl::StatusOr<storage::UserRecord> user =
          store_.GetUserById(record.user_id());
      if (!user.ok()) continue;  // owner deleted meanwhile: so is the key
      owner = owners.emplace(record.user_id(), *std::move(user)).first;
    }
    page.keys.push_back(Describe(std::move(record), owner->second));
  }
  return page;
}

absl::StatusOr<storage::AccessKeyRecord> AccessKeyManager::KeyForCaller(
    const Principal& caller, absl::string_view access_key_id) {
  if (absl::Status s = ValidateAccessKeyId(access_key_id); !s.ok()) return s;
  absl::StatusOr<storage::AccessKeyRecord> key =
      store_.GetAccessKey(access_key_id);
  if (absl::IsNotFound(key.status())) return KeyNotFound();
  if (!key.ok()) return key.status();
  if (!caller.is_admin && key->user_id() != caller.user_id) {
    return KeyNotFound();
  }
  return key;
}

std::string AccessKeyManager::OwnerName(absl::string_view user_id) {
  absl::StatusOr<storage::UserRecord> owner = store_.GetUserById(user_id);
  return owner.ok() ? owner->user_name() : "";
}

absl::StatusOr<OwnedAccessKey> AccessKeyManager::WithOwner(
    storage::AccessKeyRecord record) {
  absl::StatusOr<storage::UserRecord> owner =
      store_.GetUserById(record.user_id());
  if (absl::IsNotFound(owner.status())) return KeyNotFound();
  if (!owner.ok()) return owner.status();
  return Describe(std::move(record), *owner);
}

absl::StatusOr<OwnedAccessKey> AccessKeyManager::UpdateAccessKey(
    const Principal& caller, absl::string_view access_key_id,
    std::optional<storage::AccessKeyRecord::Status> status,
    std::optional<std::string> description,
    std::optional<absl::Duration> deactivate_after) {
  if (!status.has_value() && !description.has_value() &&
      !deactivate_after.has_value()) {
    return absl::InvalidArgumentError(
        "nothing to update: set status, description or deactivate_after");
  }
  if (deactivate_after.has_value()) {
    if (status.has_value()) {
      return absl::InvalidArgumentError(
          "deactivate_after: not with status (setting status cancels a "
          "scheduled deactivation)");
    }
    if (*deactivate_after <= absl::ZeroDuration() ||
        *deactivate_after > kMaxDeactivationDelay) {
      return absl::InvalidArgumentError(
          absl::StrCat("deactivate_after: must be positive and at most ",
                       absl::FormatDuration(kMaxDeactivationDelay)));
    }
  }
  if (status.has_value() && *status != storage::AccessKeyRecord::ACTIVE &&
      *status != storage::AccessKeyRecord::INACTIVE) {
    return absl::InvalidArgumentError("status: must be ACTIVE or INACTIVE");
  }
  if (description.has_value()) {
    if (absl::Status s =
            ValidateText("description", *description, kMaxDescriptionLength);
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<storage::AccessKeyRecord> key =
      KeyForCaller(caller, access_key_id);
  if (!key.ok()) return key.status();
  const absl::Time now = clock_.Now();
  const int64_t deactivate_time_micros =
      deactivate_after.has_value() ? absl::ToUnixMicros(now + *deactivate_after)
                                   : 0;
  std::vector<std::string> changes;
  if (status.has_value()) {
    changes.push_back(absl::StrCat(
        "status=", storage::AccessKeyRecord::Status_Name(*status)));
  }
  if (description.has_value()) changes.push_back("description");
  if (deactivate_after.has_value()) {
    changes.push_back(
        absl::StrCat("deactivate_at=", FormatUtcTime(deactivate_time_micros)));
  }
  absl::StatusOr<storage::AccessKeyRecord> updated = store_.UpdateAccessKey(
      access_key_id,
      [&](storage::AccessKeyRecord& record) {
        // Checked on the record as stored, inside the transaction.
        if (status == storage::AccessKeyRecord::ACTIVE &&
            IsExpired(record, now)) {
          return absl::FailedPreconditionError(
              absl::StrCat("access key expired at ",
                           FormatUtcTime(record.expire_time_micros()),
                           ": it cannot be reactivated; create a new key"));
        }
        if (deactivate_after.has_value() &&
            (record.status() != storage::AccessKeyRecord::ACTIVE ||
             IsDeactivationDue(record, now))) {
          return absl::FailedPreconditionError(
              "only an active key can be scheduled for deactivation");
        }
        if (status.has_value()) {
          record.set_status(*status);
          record.set_deactivate_time_micros(0);
        }
        if (description.has_value()) record.set_description(*description);
        if (deactivate_after.has_value()) {
          record.set_deactivate_time_micros(deactivate_time_micros);
        }
        return absl::OkStatus();
      },
      AuditEvents(storage::AuditEventRecord::ACCESS_KEY_UPDATED, caller, clock_,
                  key->user_id(), OwnerName(key->user_id()), access_key_id,
                  absl::StrJoin(changes, " ")));
  if (absl::IsNotFound(updated.status())) return KeyNotFound();
  if (!updated.ok()) return updated.status();
  return WithOwner(*std::move(updated));
}

absl::Status AccessKeyManager::DeleteAccessKey(
    const Principal& caller, absl::string_view access_key_id) {
  absl::StatusOr<storage::AccessKeyRecord> key =
      KeyForCaller(caller, access_key_id);
  if (!key.ok()) return key.status();
  absl::Status status = store_.DeleteAccessKey(
      access_key_id,
      AuditEvents(storage::AuditEventRecord::ACCESS_KEY_DELETED, caller, clock_,
                  key->user_id(), OwnerName(key->user_id()), access_key_id));
  if (absl::IsNotFound(status)) return KeyNotFound();
  return status;
}

}  // namespace identity::auth
