#include "storage/rocksdb_status.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace identity::storage {
namespace {
constexpr absl::string_view kRetryablePayload = "identity.storage/retryable";
}  // namespace

absl::Status FromRocksDb(const rocksdb::Status& status,
                         absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message =
      absl::StrCat("storage: ", what, ": ", status.ToString());
  switch (status.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kInvalidArgument:
    case rocksdb::Status::kNotSupported:
      return absl::InternalError(message);
    default: {  // IOError, Busy, TimedOut, TryAgain, Aborted, ...
      absl::Status unavailable = absl::UnavailableError(message);
      if (status.IsBusy() || status.IsTimedOut() || status.IsTryAgain()) {
        unavailable.SetPayload(kRetryablePayload, absl::Cord());
      }
      return unavailable;
    }
  }
}

bool IsRetryableConflict(const absl::Status& status) {
  return status.GetPayload(kRetryablePayload).has_value();
}

}  // namespace identity::storage
