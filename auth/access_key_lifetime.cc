#include "auth/access_key_lifetime.h"

#include "absl/strings/str_cat.h"

namespace identity::auth {

absl::Duration DefaultWarnAge(absl::Duration max_age) {
  if (max_age == absl::InfiniteDuration()) return absl::InfiniteDuration();
  return max_age * 4 / 5;
}

absl::Status ValidateKeyAgePolicy(const KeyAgePolicy& policy) {
  if (policy.max_age <= absl::ZeroDuration() ||
      policy.warn_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--max_access_key_age and --warn_access_key_age must be positive (or "
        "unset)");
  }
  if (policy.max_age != absl::InfiniteDuration() &&
      policy.warn_age >= policy.max_age) {
    return absl::InvalidArgumentError(
        "--warn_access_key_age must be shorter than --max_access_key_age");
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ExpiryForNewKey(const KeyAgePolicy& policy,
                                        absl::Time now,
                                        const RequestedExpiry& requested) {
  const bool capped = policy.max_age != absl::InfiniteDuration();
  if (requested.at.has_value() && requested.after.has_value()) {
    return absl::InvalidArgumentError(
        "expire_time, expire_after: set at most one");
  }
  if (requested.after.has_value() && *requested.after <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("expire_after: must be positive");
  }
  std::optional<absl::Time> at = requested.at;
  if (requested.after.has_value()) at = now + *requested.after;
  if (!at.has_value()) {
    return capped ? absl::ToUnixMicros(now + policy.max_age) : 0;
  }
  if (*at <= now) {
    return absl::InvalidArgumentError("expire_time: must be in the future");
  }
  if (capped && *at > now + policy.max_age) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expire_time: this server allows keys at most ",
        absl::FormatDuration(policy.max_age), " (--max_access_key_age)"));
  }
  // Beyond what a timestamp in micros holds is "never" in practice, but a
  // caller asked for an expiry: store the furthest one representable.
  if (*at > absl::FromUnixMicros(INT64_MAX)) return INT64_MAX;
  return absl::ToUnixMicros(*at);
}

bool IsExpired(const storage::AccessKeyRecord& key, absl::Time now) {
  return key.expire_time_micros() != 0 &&
         absl::FromUnixMicros(key.expire_time_micros()) <= now;
}

bool IsDeactivationDue(const storage::AccessKeyRecord& key, absl::Time now) {
  return key.deactivate_time_micros() != 0 &&
         absl::FromUnixMicros(key.deactivate_time_micros()) <= now;
}

bool IsUsable(const storage::AccessKeyRecord& key, bool owner_enabled,
              absl::Time now) {
  return owner_enabled && key.status() == storage::AccessKeyRecord::ACTIVE &&
         !IsExpired(key, now) && !IsDeactivationDue(key, now);
}

bool IsRotationDue(const storage::AccessKeyRecord& key,
                   const KeyAgePolicy& policy, absl::Time now) {
  if (policy.warn_age == absl::InfiniteDuration() || IsExpired(key, now)) {
    return false;
  }
  return now - absl::FromUnixMicros(key.create_time_micros()) >=
         policy.warn_age;
}

std::string FormatUtcTime(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixMicros(unix_micros),
                          absl::UTCTimeZone());
}

}  // namespace identity::auth
