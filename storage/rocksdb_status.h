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

// True for the failures of a pessimistic transaction that a retry can cure.
bool IsRetryableConflict(const rocksdb::Status& status);

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_ROCKSDB_STATUS_H_
