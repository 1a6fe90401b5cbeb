#include "auth/key_expiry_pass.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/audit_event.h"
#include "auth/principal.h"

namespace identity::auth {
namespace {

// The actor of the pass's audit events: no user, and no user can have
// this name.
Principal PassActor() {
  Principal actor;
  actor.user_name = "system:key-expiry";
  return actor;
}

// What a mutation returns when the record shows the work done already
// (by another replica, or before a restart): nothing is written.
absl::Status AlreadyDone() { return absl::CancelledError("already done"); }

std::string NoticeText(const storage::AccessKeyRecord& key,
                       const KeyAgePolicy& policy, absl::Time now) {
  const int64_t age_days =
      (now - absl::FromUnixMicros(key.create_time_micros())) / absl::Hours(24);
  std::string text =
      absl::StrCat("Your access key ", key.access_key_id(), " was created on ",
                   FormatUtcTime(key.create_time_micros()), " and is ",
                   age_days, " days old, past this service's rotation age of ",
                   policy.warn_age / absl::Hours(24), " days.");
  if (key.expire_time_micros() != 0) {
    absl::StrAppend(&text, " It stops working on ",
                    FormatUtcTime(key.expire_time_micros()), ".");
  }
  absl::StrAppend(&text,
                  " Create a new key, move your clients to it, then delete "
                  "this one (identityctl rotate-key).");
  return text;
}

}  // namespace

KeyExpiryPass::KeyExpiryPass(storage::Store& store, const Clock& clock,
                             Notifier* notifier, KeyAgePolicy policy,
                             KeyExpiryPassOptions options)
    : store_(store),
      clock_(clock),
      notifier_(notifier),
      policy_(policy),
      options_(options) {}

KeyExpiryPass::~KeyExpiryPass() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void KeyExpiryPass::Start(PassCallback on_pass) {
  thread_ = std::thread([this, on_pass = std::move(on_pass)] {
    // A failed pass is retried on the next.
    while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
      on_pass(RunOnce());
    }
  });
}

absl::StatusOr<KeyExpiryPassResult> KeyExpiryPass::RunOnce() {
  absl::MutexLock lock(&pass_mu_);
  KeyExpiryPassResult result;
  int notices_left = options_.max_notices_per_pass;
  std::string after;
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<std::vector<storage::AccessKeyRecord>> batch =
        store_.ListAllAccessKeys(after, options_.batch_size);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    after = batch->back().access_key_id();
    for (const storage::AccessKeyRecord& key : *batch) {
      ++result.keys_seen;
      const absl::Time now = clock_.Now();
      if (IsExpired(key, now)) {
        if (!key.expiry_recorded() &&
            RecordExpiry(key, now) == Outcome::kDone) {
          ++result.expiries_recorded;
        }
        continue;
      }
      if (IsDeactivationDue(key, now)) {
        if (Deactivate(key, now) == Outcome::kDone) ++result.deactivations;
        continue;
      }
      if (key.status() == storage::AccessKeyRecord::ACTIVE &&
          key.age_warning_time_micros() == 0 &&
          IsRotationDue(key, policy_, now) && notices_left > 0) {
        --notices_left;
        switch (Warn(key, now)) {
          case Outcome::kDone:
            ++result.warnings;
            break;
          case Outcome::kNoticeFailed:
            ++result.notices_failed;
            break;
          case Outcome::kSkipped:
            break;
        }
      }
    }
    if (static_cast<int>(batch->size()) < options_.batch_size) break;
  }
  return result;
}

KeyExpiryPass::Outcome KeyExpiryPass::RecordExpiry(
    const storage::AccessKeyRecord& key, absl::Time now) {
  storage::AuditEvents audit = AuditEvents(
      storage::AuditEventRecord::ACCESS_KEY_EXPIRED, PassActor(), clock_,
      key.user_id(), "", key.access_key_id(),
      absl::StrCat("expired=", FormatUtcTime(key.expire_time_micros())));
  absl::StatusOr<storage::UserRecord> owner = store_.GetUserById(key.user_id());
  if (owner.ok()) audit[0].set_user_name(owner->user_name());
  absl::StatusOr<storage::AccessKeyRecord> updated = store_.UpdateAccessKey(
      key.access_key_id(),
      [&](storage::AccessKeyRecord& record) {
        if (record.expiry_recorded() || !IsExpired(record, now)) {
          return AlreadyDone();
        }
        record.set_expiry_recorded(true);
        return absl::OkStatus();
      },
      audit);
  return updated.ok() ? Outcome::kDone : Outcome::kSkipped;
}

KeyExpiryPass::Outcome KeyExpiryPass::Deactivate(
    const storage::AccessKeyRecord& key, absl::Time now) {
  storage::AuditEvents audit =
      AuditEvents(storage::AuditEventRecord::ACCESS_KEY_UPDATED, PassActor(),
                  clock_, key.user_id(), "", key.access_key_id(),
                  absl::StrCat("status=INACTIVE scheduled_at=",
                               FormatUtcTime(key.deactivate_time_micros())));
  absl::StatusOr<storage::UserRecord> owner = store_.GetUserById(key.user_id());
  if (owner.ok()) audit[0].set_user_name(owner->user_name());
  absl::StatusOr<storage::AccessKeyRecord> updated = store_.UpdateAccessKey(
      key.access_key_id(),
      [&](storage::AccessKeyRecord& record) {
        // Re-read: the owner may have cancelled the schedule meanwhile.
        if (!IsDeactivationDue(record, now)) return AlreadyDone();
        record.set_status(storage::AccessKeyRecord::INACTIVE);
        record.set_deactivate_time_micros(0);
        return absl::OkStatus();
      },
      audit);
  return updated.ok() ? Outcome::kDone : Outcome::kSkipped;
}

KeyExpiryPass::Outcome KeyExpiryPass::Warn(const storage::AccessKeyRecord& key,
                                           absl::Time now) {
  absl::StatusOr<storage::UserRecord> owner = store_.GetUserById(key.user_id());
  if (!owner.ok()) return Outcome::kSkipped;  // deleted: so is the key
  Notification notice;
  notice.user_name = owner->user_name();
  if (notifier_ == nullptr) {
    // Nowhere to deliver: recorded below as not sent.
  } else if (!owner->email().empty()) {
    notice.channel = "EMAIL";
    notice.destination = owner->email();
    notice.masked_destination = MaskEmail(owner->email());
  } else if (!owner->mobile().empty()) {
    notice.channel = "SMS";
    notice.destination = owner->mobile();
    notice.masked_destination = MaskMobile(owner->mobile());
  }
  std::string detail;
  if (notifier_ == nullptr) {
    detail = "not sent: the server has no notifier";
  } else if (notice.channel.empty()) {
    detail = "not sent: no email or mobile bound";
  } else {
    detail = absl::StrCat("channel=", notice.channel,
                          " to=", notice.masked_destination);
  }
  storage::AuditEvents audit = AuditEvents(
      storage::AuditEventRecord::ACCESS_KEY_AGE_WARNING, PassActor(), clock_,
      owner->user_id(), owner->user_name(), key.access_key_id(),
      absl::StrCat(detail,
                   " created=", FormatUtcTime(key.create_time_micros())));

  // The claim. With nowhere to send, it is the whole notice: the key is
  // reported as rotation_due and the audit trail says why nobody was told.
  const int64_t claim_micros = absl::ToUnixMicros(now);
  absl::StatusOr<storage::AccessKeyRecord> claimed = store_.UpdateAccessKey(
      key.access_key_id(),
      [&](storage::AccessKeyRecord& record) {
        if (record.age_warning_time_micros() != 0) return AlreadyDone();
        record.set_age_warning_time_micros(claim_micros);
        return absl::OkStatus();
      },
      notice.channel.empty() ? audit : storage::AuditEvents{});
  if (!claimed.ok()) return Outcome::kSkipped;
  if (notice.channel.empty()) return Outcome::kDone;

  notice.message = NoticeText(key, policy_, now);
  if (!notifier_->Send(notice).ok()) {
    // Released for a later pass, unless something else changed the claim.
    (void)store_.UpdateAccessKey(
        key.access_key_id(),
        [&](storage::AccessKeyRecord& record) {
          if (record.age_warning_time_micros() != claim_micros) {
            return AlreadyDone();
          }
          record.set_age_warning_time_micros(0);
          return absl::OkStatus();
        },
        {});
    return Outcome::kNoticeFailed;
  }
  // The event follows the handover; the record is unchanged by it.
  (void)store_.UpdateAccessKey(
      key.access_key_id(),
      [](storage::AccessKeyRecord&) { return absl::OkStatus(); }, audit);
  return Outcome::kDone;
}

}  // namespace identity::auth
