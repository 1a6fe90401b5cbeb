#ifndef IDENTITY_SERVICE_IDENTITYCTL_DURATION_FLAG_H_
#define IDENTITY_SERVICE_IDENTITYCTL_DURATION_FLAG_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace identity::identityctl {

// A positive duration flag: "90d" (days, which key lifetimes are counted
// in), or Go-style "36h", "90m", "1h30m". InvalidArgument naming `flag`
// otherwise.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag,
                                                 absl::string_view text);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_DURATION_FLAG_H_
