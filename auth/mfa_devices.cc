#include "auth/mfa_devices.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/audit_event.h"
#include "auth/crypto.h"
#include "auth/reauthentication.h"
#include "auth/target_user.h"
#include "auth/totp.h"
#include "auth/verification_codes.h"

namespace identity::auth {
namespace {

// Steps either side of now a code may come from: clock drift and typing.
constexpr int64_t kAllowedDrift = 1;
// Confirmation codes may be read off the app over the last minute or so.
constexpr int64_t kConfirmWindow = 3;

std::string SealingId(absl::string_view user_id) {
  return MfaSecretAssociatedData(user_id);
}

}  // namespace

std::string MfaSecretAssociatedData(absl::string_view user_id) {
  return absl::StrCat("mfa:", user_id);
}

MfaDevices::MfaDevices(storage::Store& store, const SecretSealer& sealer,
                       const Clock& clock, RandomSource& random,
                       std::string issuer)
    : store_(store),
      sealer_(sealer),
      clock_(clock),
      random_(random),
      issuer_(std::move(issuer)) {}

absl::StatusOr<std::string> MfaDevices::OpenSecret(
    const storage::UserRecord& user) const {
  return sealer_.Open(SealingId(user.user_id()), user.mfa_secret());
}

int64_t MfaDevices::MatchingStep(absl::string_view secret,
                                 absl::string_view code, int64_t from,
                                 int64_t to) const {
  int64_t found = -1;
  // Every candidate is computed and compared in constant time, so timing
  // does not tell which step matched.
  for (int64_t step = from; step <= to; ++step) {
    if (crypto::ConstantTimeEquals(totp::Code(secret, step), code)) {
      found = step;
    }
  }
  return found;
}

absl::StatusOr<std::string> MfaDevices::Enroll(const Principal& caller) {
  if (absl::Status s = RequirePasswordOnCall(caller, "enrolling an MFA device");
      !s.ok()) {
    return s;
  }
  std::string secret(totp::kSecretBytes, '\0');
  if (absl::Status s = random_.Fill(absl::MakeSpan(
          reinterpret_cast<uint8_t*>(secret.data()), secret.size()));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<storage::SealedSecret> sealed =
      sealer_.Seal(SealingId(caller.user_id), secret);
  if (!sealed.ok()) {
    crypto::Cleanse(secret);
    return sealed.status();
  }
  absl::StatusOr<storage::UserRecord> user = store_.UpdateUser(
      caller.user_id,
      [&](storage::UserRecord& record) {
        if (record.mfa_confirmed()) {
          return absl::FailedPreconditionError(
              "an MFA device is already enabled: delete it first");
        }
        *record.mutable_mfa_secret() = *sealed;
        record.set_mfa_last_time_step(0);
        return absl::OkStatus();
      },
      /*revoke_sessions=*/false,
      AuditEvents(storage::AuditEventRecord::MFA_DEVICE_ENROLLED, caller,
                  clock_, caller.user_id, caller.user_name));
  if (!user.ok()) {
    crypto::Cleanse(secret);
    return user.status();
  }
  std::string uri = totp::ProvisioningUri(issuer_, user->user_name(), secret);
  crypto::Cleanse(secret);
  return uri;
}

absl::Status MfaDevices::Confirm(const Principal& caller,
                                 absl::string_view first,
                                 absl::string_view second) {
  absl::StatusOr<storage::UserRecord> user = store_.GetUserById(caller.user_id);
  if (!user.ok()) return user.status();
  if (user->mfa_confirmed() || !user->has_mfa_secret()) {
    return absl::FailedPreconditionError(
        "no MFA device is waiting for confirmation: enroll one first");
  }
  absl::StatusOr<std::string> secret = OpenSecret(*user);
  if (!secret.ok()) return secret.status();
  const int64_t now = totp::TimeStep(clock_.Now());
  const int64_t first_step =
      MatchingStep(*secret, first, now - kConfirmWindow, now);
  const bool consecutive =
      first_step >= 0 &&
      crypto::ConstantTimeEquals(totp::Code(*secret, first_step + 1), second);
  crypto::Cleanse(*secret);
  if (!consecutive) {
    return absl::InvalidArgumentError(
        "codes: not two consecutive codes of the enrolled device; enter the "
        "code shown, wait for the next one, and enter it too");
  }
  const std::string sealed = user->mfa_secret().SerializeAsString();
  return store_
      .UpdateUser(
          caller.user_id,
          [&](storage::UserRecord& record) {
            // Only the device these codes came from.
            if (record.mfa_confirmed() ||
                record.mfa_secret().SerializeAsString() != sealed) {
              return absl::AbortedError(
                  "the MFA enrolment changed meanwhile: enroll again");
            }
            record.set_mfa_confirmed(true);
            record.set_mfa_last_time_step(first_step + 1);
            return absl::OkStatus();
          },
          /*revoke_sessions=*/false,
          AuditEvents(storage::AuditEventRecord::MFA_DEVICE_CONFIRMED, caller,
                      clock_, caller.user_id, caller.user_name))
      .status();
}

absl::Status MfaDevices::Delete(const Principal& caller,
                                absl::string_view user_name) {
  const bool self =
      user_name.empty() || absl::EqualsIgnoreCase(user_name, caller.user_name);
  // Another user's too: removing it is half of taking the account over.
  if (absl::Status s = RequirePasswordOnCall(
          caller, self ? "removing your MFA device"
                       : "removing another user's MFA device");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<storage::UserRecord> user =
      ResolveTargetUser(store_, caller, "user_name", user_name);
  if (!user.ok()) return user.status();
  if (!user->has_mfa_secret()) {
    return absl::NotFoundError("the user has no MFA device");
  }
  return store_
      .UpdateUser(
          user->user_id(),
          [](storage::UserRecord& record) {
            record.clear_mfa_secret();
            record.clear_mfa_confirmed();
            record.clear_mfa_last_time_step();
            return absl::OkStatus();
          },
          /*revoke_sessions=*/false,
          AuditEvents(storage::AuditEventRecord::MFA_DEVICE_DELETED, caller,
                      clock_, user->user_id(), user->user_name()))
      .status();
}

absl::Status MfaDevices::Verify(const storage::UserRecord& user,
                                absl::string_view code) {
  if (!user.mfa_confirmed())
    return absl::UnauthenticatedError(kInvalidCodeMessage);
  absl::StatusOr<std::string> secret = OpenSecret(user);
  if (!secret.ok()) return secret.status();
  const int64_t now = totp::TimeStep(clock_.Now());
  const int64_t step =
      MatchingStep(*secret, code, now - kAllowedDrift, now + kAllowedDrift);
  crypto::Cleanse(*secret);
  if (step < 0) return absl::UnauthenticatedError(kInvalidCodeMessage);
  // Used up atomically: of two calls racing with one code, one wins.
  absl::StatusOr<storage::UserRecord> updated = store_.UpdateUser(
      user.user_id(),
      [&](storage::UserRecord& record) {
        if (!record.mfa_confirmed() || step <= record.mfa_last_time_step()) {
          return absl::UnauthenticatedError(kInvalidCodeMessage);
        }
        record.set_mfa_last_time_step(step);
        return absl::OkStatus();
      },
      /*revoke_sessions=*/false, /*audit=*/{});
  return updated.status();
}

}  // namespace identity::auth
