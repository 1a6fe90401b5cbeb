#include "service/descriptor_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace identity::service {

absl::StatusOr<int> RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return absl::InternalError(
          absl::StrCat("setrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
    }
  }
  constexpr rlim_t kIntMax = std::numeric_limits<int>::max();
  return static_cast<int>(std::min(limit.rlim_cur, kIntMax));
}

absl::StatusOr<int> ConnectionsThatFit(int descriptor_limit, int requested) {
  const int fit =
      (descriptor_limit - kReservedDescriptors) / kDescriptorsPerConnection;
  if (fit < 16) {
    return absl::FailedPreconditionError(absl::StrCat(
        "RLIMIT_NOFILE is ", descriptor_limit, ": identityd needs at least ",
        kReservedDescriptors + 16 * kDescriptorsPerConnection,
        " descriptors (raise LimitNOFILE / ulimit -n)"));
  }
  return std::min(fit, requested);
}

}  // namespace identity::service
