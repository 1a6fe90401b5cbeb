#include "auth/paging.h"

#include <algorithm>

#include "absl/strings/escaping.h"

namespace identity::auth {

absl::StatusOr<PageRequest> ParsePageRequest(
    int page_size, absl::string_view page_token,
    const std::function<bool(absl::string_view)>& is_valid_key) {
  if (page_size < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  PageRequest request;
  request.limit =
      page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  if (!page_token.empty() &&
      (!absl::WebSafeBase64Unescape(page_token, &request.after_key) ||
       !is_valid_key(request.after_key))) {
    return absl::InvalidArgumentError("page_token: not a token this API gave");
  }
  return request;
}

std::string NextPageToken(const PageRequest& request, int items_returned,
                          absl::string_view last_key) {
  if (items_returned < request.limit) return "";
  return absl::WebSafeBase64Escape(last_key);
}

}  // namespace identity::auth
