#include "auth/secret_rewrap.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "auth/audit_event.h"
#include "auth/crypto.h"
#include "auth/mfa_devices.h"

namespace identity::auth {
namespace {

bool SameSealed(const storage::SealedSecret& a,
                const storage::SealedSecret& b) {
  return a.kek_id() == b.kek_id() && a.nonce() == b.nonce() &&
         a.ciphertext() == b.ciphertext();
}

// What an update's mutation returns when the record no longer holds the
// sealed form that was opened: nothing is written.
absl::Status ChangedMeanwhile() {
  return absl::CancelledError("sealed secret changed meanwhile");
}

}  // namespace

std::vector<std::string> SecretRewrapResult::old_keks_in_use() const {
  std::vector<std::string> ids;
  for (const auto& [id, count] : secrets_by_kek) {
    if (id != sealing_kek_id && count > 0) ids.push_back(id);
  }
  return ids;
}

std::string SecretRewrapSummary(const SecretRewrapResult& result) {
  std::vector<std::string> by_kek;
  for (const auto& [id, count] : result.secrets_by_kek) {
    by_kek.push_back(absl::StrCat(id.empty() ? "(none)" : id, ":", count));
  }
  return absl::StrCat("sealing_kek=", result.sealing_kek_id,
                      " access_keys=", result.access_keys_seen,
                      " mfa_secrets=", result.mfa_secrets_seen,
                      " resealed=", result.resealed,
                      " already_current=", result.already_current,
                      " changed_concurrently=", result.changed_concurrently,
                      " failed_unknown_kek=", result.failed_unknown_kek,
                      " failed_does_not_open=", result.failed_does_not_open,
                      " secrets_by_kek=", absl::StrJoin(by_kek, ","),
                      " complete=", result.complete ? "true" : "false");
}

SecretRewrap::SecretRewrap(storage::Store& store, const SecretSealer& sealer,
                           const Clock& clock)
    : store_(store), sealer_(sealer), clock_(clock) {}

absl::StatusOr<SecretRewrapResult> SecretRewrap::Run(
    const Principal& actor, const SecretRewrapOptions& options,
    const ProgressCallback& progress) {
  if (options.batch_size <= 0) {
    return absl::InvalidArgumentError("batch size must be positive");
  }
  const absl::Time start = absl::Now();
  SecretRewrapResult result;
  result.sealing_kek_id = sealer_.sealing_key_id();
  absl::Status status = RewrapAccessKeys(options, result, progress);
  if (status.ok()) status = RewrapMfaSecrets(options, result, progress);
  result.complete = status.ok() && !cancelled_;
  result.elapsed = absl::Now() - start;
  if (!options.dry_run) {
    // Even a run that stopped early is recorded: it may have written.
    absl::Status audited = WriteAuditEvent(actor, result);
    if (status.ok()) status = audited;
  }
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<SecretRewrap::Look> SecretRewrap::Examine(
    absl::string_view associated_data, absl::string_view what,
    const storage::SealedSecret& sealed, const SecretRewrapOptions& options,
    SecretRewrapResult& result, storage::SealedSecret* resealed) {
  const bool current = sealed.kek_id() == sealer_.sealing_key_id();
  if (current && !options.verify_current) {
    ++result.already_current;
    ++result.secrets_by_kek[sealed.kek_id()];
    return Look::kCurrent;
  }
  // Opened even in a dry run: a status that counted a tampered secret as
  // merely "old" would let the operator remove a line and only then learn.
  absl::StatusOr<std::string> secret = sealer_.Open(associated_data, sealed);
  if (!secret.ok()) {
    const bool unknown_kek = absl::IsFailedPrecondition(secret.status());
    ++(unknown_kek ? result.failed_unknown_kek : result.failed_does_not_open);
    ++result.secrets_by_kek[sealed.kek_id()];
    if (static_cast<int>(result.failures.size()) <
        options.max_failures_listed) {
      result.failures.push_back(
          unknown_kek
              ? absl::StrCat(what, ": sealed under unknown key-encryption key ",
                             sealed.kek_id())
              : absl::StrCat(what, ": does not authenticate under key ",
                             sealed.kek_id(),
                             " (altered, or moved from another record)"));
    }
    return Look::kLeft;
  }
  if (current) {
    crypto::Cleanse(*secret);
    ++result.already_current;
    ++result.secrets_by_kek[sealed.kek_id()];
    return Look::kCurrent;
  }
  if (options.dry_run) {
    crypto::Cleanse(*secret);
    ++result.resealed;
    ++result.secrets_by_kek[sealed.kek_id()];
    return Look::kLeft;
  }
  absl::StatusOr<storage::SealedSecret> fresh =
      sealer_.Seal(associated_data, *secret);
  crypto::Cleanse(*secret);
  // Only the random source can fail here: no run goes on without nonces.
  if (!fresh.ok()) return fresh.status();
  *resealed = *std::move(fresh);
  return Look::kResealed;
}

absl::Status SecretRewrap::RewrapAccessKeys(const SecretRewrapOptions& options,
                                            SecretRewrapResult& result,
                                            const ProgressCallback& progress) {
  std::string after;
  while (!cancelled_) {
    absl::StatusOr<std::vector<storage::AccessKeyRecord>> batch =
        store_.ListAllAccessKeys(after, options.batch_size);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    after = batch->back().access_key_id();
    std::map<std::string, Resealed> pending;
    for (const storage::AccessKeyRecord& key : *batch) {
      ++result.access_keys_seen;
      storage::SealedSecret fresh;
      absl::StatusOr<Look> look = Examine(
          key.access_key_id(), absl::StrCat("access key ", key.access_key_id()),
          key.sealed_secret(), options, result, &fresh);
      if (!look.ok()) return look.status();
      if (*look == Look::kResealed) {
        pending[key.access_key_id()] = Resealed{key.sealed_secret(), fresh};
      }
    }
    if (!pending.empty()) {
      if (absl::Status s = WriteAccessKeys(pending, result); !s.ok()) return s;
    }
    if (progress) progress(result);
    if (static_cast<int>(batch->size()) < options.batch_size) break;
  }
  return absl::OkStatus();
}

absl::Status SecretRewrap::WriteAccessKeys(
    const std::map<std::string, Resealed>& pending,
    SecretRewrapResult& result) {
  std::vector<std::string> ids;
  ids.reserve(pending.size());
  for (const auto& entry : pending) ids.push_back(entry.first);
  // Compare and swap per key, inside the store's transaction on the
  // freshly read record.
  auto swap = [&](storage::AccessKeyRecord& record) {
    auto it = pending.find(record.access_key_id());
    if (it == pending.end() ||
        !SameSealed(record.sealed_secret(), it->second.old_sealed)) {
      return false;
    }
    *record.mutable_sealed_secret() = it->second.new_sealed;
    return true;
  };
  std::vector<std::string> written;
  absl::StatusOr<std::vector<std::string>> batch_written =
      store_.UpdateAccessKeys(ids, swap, {});
  if (batch_written.ok()) {
    written = *std::move(batch_written);
  } else {
    // One busy key (its last use written every second, say) makes the
    // batch's transaction conflict again and again on an optimistic
    // engine: fall back to one transaction a key, where it costs only
    // itself a retry. The swap makes keys the batch did write no-ops,
    // and a key the failed batch did write (the store commits a large
    // batch in several transactions) is found holding our own sealed form.
    for (const std::string& id : ids) {
      bool ours = false;
      absl::StatusOr<storage::AccessKeyRecord> updated = store_.UpdateAccessKey(
          id,
          [&](storage::AccessKeyRecord& record) {
            auto it = pending.find(id);
            if (it != pending.end() &&
                SameSealed(record.sealed_secret(), it->second.new_sealed)) {
              ours = true;
              return ChangedMeanwhile();
            }
            ours = false;
            return swap(record) ? absl::OkStatus() : ChangedMeanwhile();
          },
          {});
      if (updated.ok() || ours) {
        written.push_back(id);
      } else if (!absl::IsCancelled(updated.status()) &&
                 !absl::IsNotFound(updated.status())) {
        return updated.status();
      }
    }
  }
  result.resealed += static_cast<int64_t>(written.size());
  result.secrets_by_kek[sealer_.sealing_key_id()] +=
      static_cast<int64_t>(written.size());
  if (written.size() == ids.size()) return absl::OkStatus();
  // The rare rest: see what they hold now.
  std::sort(written.begin(), written.end());
  for (const std::string& id : ids) {
    if (std::binary_search(written.begin(), written.end(), id)) continue;
    ++result.changed_concurrently;
    absl::StatusOr<storage::AccessKeyRecord> now = store_.GetAccessKey(id);
    if (absl::IsNotFound(now.status())) continue;  // deleted: nothing sealed
    if (!now.ok()) return now.status();
    ++result.secrets_by_kek[now->sealed_secret().kek_id()];
  }
  return absl::OkStatus();
}

absl::Status SecretRewrap::RewrapMfaSecrets(const SecretRewrapOptions& options,
                                            SecretRewrapResult& result,
                                            const ProgressCallback& progress) {
  std::string after;
  while (!cancelled_) {
    absl::StatusOr<std::vector<storage::UserRecord>> batch =
        store_.ListUsers(after, options.batch_size);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    after = batch->back().user_name();
    for (const storage::UserRecord& user : *batch) {
      // A user without a device holds an empty SealedSecret.
      if (!user.has_mfa_secret() || user.mfa_secret().ciphertext().empty()) {
        continue;
      }
      ++result.mfa_secrets_seen;
      storage::SealedSecret fresh;
      absl::StatusOr<Look> look =
          Examine(MfaSecretAssociatedData(user.user_id()),
                  absl::StrCat("mfa secret of user ", user.user_id()),
                  user.mfa_secret(), options, result, &fresh);
      if (!look.ok()) return look.status();
      if (*look != Look::kResealed) continue;
      // Users with a device are few next to keys: one transaction each.
      absl::StatusOr<storage::UserRecord> updated = store_.UpdateUser(
          user.user_id(),
          [&](storage::UserRecord& record) {
            if (!SameSealed(record.mfa_secret(), user.mfa_secret())) {
              return ChangedMeanwhile();
            }
            *record.mutable_mfa_secret() = fresh;
            return absl::OkStatus();
          },
          /*revoke_sessions=*/false, {});
      if (updated.ok()) {
        ++result.resealed;
        ++result.secrets_by_kek[sealer_.sealing_key_id()];
        continue;
      }
      if (!absl::IsCancelled(updated.status()) &&
          !absl::IsNotFound(updated.status())) {
        return updated.status();
      }
      // Re-enrolled, deleted or re-sealed by another run meanwhile.
      ++result.changed_concurrently;
      absl::StatusOr<storage::UserRecord> now =
          store_.GetUserById(user.user_id());
      if (absl::IsNotFound(now.status())) continue;
      if (!now.ok()) return now.status();
      if (!now->mfa_secret().ciphertext().empty()) {
        ++result.secrets_by_kek[now->mfa_secret().kek_id()];
      }
    }
    if (progress) progress(result);
    if (static_cast<int>(batch->size()) < options.batch_size) break;
  }
  return absl::OkStatus();
}

absl::Status SecretRewrap::WriteAuditEvent(const Principal& actor,
                                           const SecretRewrapResult& result) {
  storage::AuditEvents audit =
      AuditEvents(storage::AuditEventRecord::SECRETS_REWRAPPED, actor, clock_,
                  /*user_id=*/"", /*user_name=*/"", /*access_key_id=*/"",
                  SecretRewrapSummary(result));
  // An empty batch: the event alone, in a transaction of its own.
  absl::StatusOr<std::vector<std::string>> written = store_.UpdateAccessKeys(
      {}, [](storage::AccessKeyRecord&) { return false; }, audit);
  return written.status();
}

}  // namespace identity::auth
