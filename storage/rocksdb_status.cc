#include "storage/rocksdb_status.h"

#include "absl/strings/str_cat.h"
#include "storage/kv_engine.h"

namespace identity::storage {

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
    default:  // IOError, Busy, TimedOut, TryAgain, Aborted, ...
      if (status.IsBusy() || status.IsTimedOut() || status.IsTryAgain()) {
        return ConflictError(message);
      }
      return absl::UnavailableError(message);
  }
}

bool IsRetryableConflict(const absl::Status& status) {
  return IsConflict(status);
}

}  // namespace identity::storage
