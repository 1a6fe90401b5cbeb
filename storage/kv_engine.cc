#include "storage/kv_engine.h"

#include "absl/strings/cord.h"

namespace identity::storage {
namespace {
constexpr absl::string_view kConflictPayload = "identity.storage/retryable";
}  // namespace

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

// Unavailable, so that a conflict that outlasts the retries already reads
// as "the store is busy, try later" to the caller.
absl::Status ConflictError(absl::string_view message) {
  absl::Status status = absl::UnavailableError(message);
  status.SetPayload(kConflictPayload, absl::Cord());
  return status;
}

bool IsConflict(const absl::Status& status) {
  return status.GetPayload(kConflictPayload).has_value();
}

}  // namespace identity::storage
