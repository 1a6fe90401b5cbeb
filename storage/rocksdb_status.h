#ifndef IDENTITY_STORAGE_ROCKSDB_STATUS_H_
#define IDENTITY_STORAGE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace identity::storage {

// Maps a RocksDB status to the Store's error model: faults and contention
// become Unavailable (worth retrying later), corruption DataLoss. `what`
// names the operation for the message.
absl::Status FromRocksDb(const rocksdb::Status& status, absl::string_view what);

// True for a status from FromRocksDb that reports a lock conflict or
// timeout of a pessimistic transaction: worth running the transaction again.
bool IsRetryableConflict(const absl::Status& status);

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_ROCKSDB_STATUS_H_
