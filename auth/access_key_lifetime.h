#ifndef IDENTITY_AUTH_ACCESS_KEY_LIFETIME_H_
#define IDENTITY_AUTH_ACCESS_KEY_LIFETIME_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/records.pb.h"

// How long an access key may live: the server's age policy, and whether a
// stored key is still usable at a given time. One place, so listing,
// signature verification, the expiry pass and the credential report agree.
namespace identity::auth {

struct KeyAgePolicy {
  // Keys created without an expiry get now + max_age, and a requested
  // expiry may not lie further out. InfiniteDuration: no maximum (keys
  // created without an expiry never expire).
  absl::Duration max_age = absl::InfiniteDuration();
  // A key older than this is reported (rotation_due) and its owner told
  // once. InfiniteDuration: never.
  absl::Duration warn_age = absl::InfiniteDuration();
};

// The default warning age for a maximum: 80 % of it (infinite for none).
absl::Duration DefaultWarnAge(absl::Duration max_age);

// InvalidArgument unless both ages are positive and the warning comes
// before the maximum.
absl::Status ValidateKeyAgePolicy(const KeyAgePolicy& policy);

// When a new key should stop working, as its creator asked: at a time, or
// after a duration from its creation (at most one of the two), or neither.
struct RequestedExpiry {
  std::optional<absl::Time> at;
  std::optional<absl::Duration> after;
};

// The expiry to store for a key created at `now`: the requested one (which
// must be after `now` and within the maximum age), or now + max_age, or 0
// for none.
absl::StatusOr<int64_t> ExpiryForNewKey(const KeyAgePolicy& policy,
                                        absl::Time now,
                                        const RequestedExpiry& requested);

// The key's expire_time has come.
bool IsExpired(const storage::AccessKeyRecord& key, absl::Time now);
// A scheduled deactivation (graceful rotation) has come; the expiry pass
// may not have written INACTIVE yet, but the key is refused already.
bool IsDeactivationDue(const storage::AccessKeyRecord& key, absl::Time now);
// A signature made with the key at `now` could verify: ACTIVE, not
// expired, no deactivation due, and its owner enabled.
bool IsUsable(const storage::AccessKeyRecord& key, bool owner_enabled,
              absl::Time now);
// Older than the warning age (and not expired: an expired key needs no
// warning, it needs deleting).
bool IsRotationDue(const storage::AccessKeyRecord& key,
                   const KeyAgePolicy& policy, absl::Time now);

// "2026-12-02T07:00:00Z": for messages, audit details and notices.
std::string FormatUtcTime(int64_t unix_micros);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_ACCESS_KEY_LIFETIME_H_
