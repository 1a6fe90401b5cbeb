#include "service/identityctl/duration_flag.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace identity::identityctl {

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag,
                                                 absl::string_view text) {
  // Ten thousand years: far beyond any policy, short of overflow.
  constexpr int64_t kMaxDays = 3652500;
  absl::Duration duration;
  int64_t days = 0;
  bool ok = false;
  if (absl::EndsWith(text, "d")) {
    ok = absl::SimpleAtoi(text.substr(0, text.size() - 1), &days) && days > 0 &&
         days <= kMaxDays;
    duration = absl::Hours(24) * days;
  } else {
    ok = absl::ParseDuration(std::string(text), &duration) &&
         duration > absl::ZeroDuration() &&
         duration != absl::InfiniteDuration();
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " must be a positive duration like 90d, 36h or 30m"));
  }
  return duration;
}

}  // namespace identity::identityctl
