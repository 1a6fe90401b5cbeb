#include "auth/notifier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace identity::auth {

std::string MaskEmail(absl::string_view email) {
  const size_t at = email.rfind('@');
  if (at == absl::string_view::npos || at == 0) return "***";
  return absl::StrCat(email.substr(0, 1), "***", email.substr(at));
}

std::string MaskMobile(absl::string_view mobile) {
  if (mobile.size() <= 4) return "***";
  const size_t keep_front = (!mobile.empty() && mobile[0] == '+') ? 3 : 0;
  const size_t hidden =
      mobile.size() - 4 - std::min(keep_front, mobile.size() - 4);
  return absl::StrCat(mobile.substr(0, mobile.size() - 4 - hidden),
                      std::string(hidden, '*'),
                      mobile.substr(mobile.size() - 4));
}

}  // namespace identity::auth
