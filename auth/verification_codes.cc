#include "auth/verification_codes.h"

#include "absl/strings/str_cat.h"
#include "auth/audit_event.h"
#include "auth/crypto.h"
#include "auth/key_generator.h"

namespace identity::auth {
namespace {

constexpr absl::string_view kDigits = "0123456789";
constexpr size_t kCodeLength = 6;
constexpr absl::string_view kHashPurpose = "identity.v1 verification code";

absl::Status InvalidCode() {
  return absl::UnauthenticatedError(kInvalidCodeMessage);
}

}  // namespace

VerificationCodes::VerificationCodes(storage::Store& store,
                                     const SecretSealer& sealer,
                                     const Clock& clock, RandomSource& random,
                                     Notifier& notifier,
                                     VerificationCodePolicy policy)
    : store_(store),
      sealer_(sealer),
      clock_(clock),
      random_(random),
      notifier_(notifier),
      policy_(policy) {}

std::string VerificationCodes::HashCode(absl::string_view user_id,
                                        absl::string_view code) const {
  // The user id binds the hash to its owner: a record copied to another
  // user does not match their code.
  return sealer_.KeyedHash(kHashPurpose, absl::StrCat(user_id, ":", code));
}

absl::StatusOr<SentVerificationCode> VerificationCodes::Send(
    const Principal& caller, Channel channel) {
  absl::StatusOr<storage::UserRecord> user = store_.GetUserById(caller.user_id);
  if (!user.ok()) return user.status();
  Notification notification;
  notification.user_name = user->user_name();
  if (channel == storage::VerificationCodeRecord::EMAIL) {
    if (user->email().empty()) {
      return absl::FailedPreconditionError(
          "channel: no email address is bound to this user");
    }
    notification.channel = "EMAIL";
    notification.destination = user->email();
    notification.masked_destination = MaskEmail(user->email());
  } else if (channel == storage::VerificationCodeRecord::SMS) {
    if (user->mobile().empty()) {
      return absl::FailedPreconditionError(
          "channel: no mobile number is bound to this user");
    }
    notification.channel = "SMS";
    notification.destination = user->mobile();
    notification.masked_destination = MaskMobile(user->mobile());
  } else {
    return absl::InvalidArgumentError("channel: must be EMAIL or SMS");
  }

  absl::StatusOr<std::string> code =
      RandomString(random_, kDigits, kCodeLength);
  if (!code.ok()) return code.status();
  const absl::Time now = clock_.Now();
  const int64_t now_micros = absl::ToUnixMicros(now);
  const absl::Time expire_time = now + policy_.lifetime;
  const std::string hash = HashCode(user->user_id(), *code);
  absl::StatusOr<storage::VerificationCodeRecord> stored =
      store_.UpdateVerificationCode(
          user->user_id(),
          [&](storage::VerificationCodeRecord& record) -> absl::Status {
            const absl::Time next_send =
                absl::FromUnixMicros(record.send_time_micros()) +
                policy_.resend_interval;
            if (record.send_time_micros() != 0 && next_send > now) {
              return absl::ResourceExhaustedError(
                  absl::StrCat("a verification code was sent less than ",
                               absl::ToInt64Seconds(policy_.resend_interval),
                               " s ago: retry in ",
                               absl::ToInt64Seconds(absl::Ceil(
                                   next_send - now, absl::Seconds(1))),
                               " s"));
            }
            record.set_channel(channel);
            record.set_code_hash(hash);
            record.set_expire_time_micros(absl::ToUnixMicros(expire_time));
            record.set_send_time_micros(now_micros);
            record.set_failed_attempts(0);
            return absl::OkStatus();
          },
          AuditEvents(storage::AuditEventRecord::VERIFICATION_CODE_SENT, caller,
                      clock_, user->user_id(), user->user_name(), "",
                      absl::StrCat("channel=", notification.channel,
                                   " to=", notification.masked_destination)));
  if (!stored.ok()) {
    crypto::Cleanse(*code);
    return stored.status();
  }
  notification.message =
      absl::StrCat("Your identity verification code is ", *code,
                   ". It expires in ", absl::ToInt64Minutes(policy_.lifetime),
                   " minutes. Nobody from us will ask you for it.");
  crypto::Cleanse(*code);
  absl::Status sent = notifier_.Send(notification);
  crypto::Cleanse(notification.message);
  if (!sent.ok()) {
    // Undelivered, so void; the send time stays, so a failing gateway is
    // not hammered faster than the resend interval.
    store_
        .UpdateVerificationCode(user->user_id(),
                                [&](storage::VerificationCodeRecord& record) {
                                  if (record.code_hash() == hash)
                                    record.clear_code_hash();
                                  return absl::OkStatus();
                                },
                                /*audit=*/{})
        .status()
        .IgnoreError();
    return absl::UnavailableError(absl::StrCat(
        "the verification code could not be delivered: ", sent.message()));
  }
  return SentVerificationCode{notification.masked_destination, expire_time};
}

absl::Status VerificationCodes::Verify(const storage::UserRecord& user,
                                       absl::string_view code) {
  const int64_t now_micros = absl::ToUnixMicros(clock_.Now());
  // Most checks find no live code: answer those without a synced write.
  absl::StatusOr<storage::VerificationCodeRecord> current =
      store_.GetVerificationCode(user.user_id());
  if (!current.ok()) return current.status();
  if (current->code_hash().empty() ||
      current->expire_time_micros() <= now_micros) {
    return InvalidCode();
  }
  const std::string hash = HashCode(user.user_id(), code);
  bool matched = false;
  // The check and its bookkeeping are one transaction, so a code is used
  // once however many calls race with it.
  absl::StatusOr<storage::VerificationCodeRecord> record =
      store_.UpdateVerificationCode(
          user.user_id(),
          [&](storage::VerificationCodeRecord& r) {
            if (r.code_hash().empty() || r.expire_time_micros() <= now_micros) {
              r.clear_code_hash();
              return absl::OkStatus();
            }
            matched = crypto::ConstantTimeEquals(r.code_hash(), hash);
            if (matched) {
              r.clear_code_hash();  // single use
            } else {
              r.set_failed_attempts(r.failed_attempts() + 1);
              if (r.failed_attempts() >= policy_.max_failed_attempts) {
                r.clear_code_hash();
              }
            }
            return absl::OkStatus();
          },
          /*audit=*/{});
  if (!record.ok()) return record.status();
  return matched ? absl::OkStatus() : InvalidCode();
}

}  // namespace identity::auth
