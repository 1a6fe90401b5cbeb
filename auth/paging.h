#ifndef IDENTITY_AUTH_PAGING_H_
#define IDENTITY_AUTH_PAGING_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// Pagination shared by every List call: a page holds up to a limit of items
// ordered by a key, and the opaque page token is the last key returned, so
// each item that exists throughout is returned exactly once.
namespace identity::auth {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// A request's page and where it starts.
struct PageRequest {
  int limit;
  std::string after_key;  // empty: from the first item
};

// `page_size` 0 means kDefaultPageSize and more than kMaxPageSize is capped;
// a negative size, or a token this API did not give (`is_valid_key` checks
// the decoded key), is InvalidArgument.
absl::StatusOr<PageRequest> ParsePageRequest(
    int page_size, absl::string_view page_token,
    const std::function<bool(absl::string_view)>& is_valid_key);

// The token for the page after one that ended at `last_key`: empty when the
// page was not full, as then nothing follows.
std::string NextPageToken(const PageRequest& request, int items_returned,
                          absl::string_view last_key);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_PAGING_H_
