#ifndef IDENTITY_STORAGE_ROCKSDB_ENGINE_H_
#define IDENTITY_STORAGE_ROCKSDB_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/kv_engine.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace identity::storage {

struct RocksDbEngineOptions {
  // Directory of the database; created if missing.
  std::string path;
  // Each space is a column family; every family on disk is opened too.
  std::vector<std::string> spaces;
  // Off only in tests that measure something other than fsync.
  bool sync_writes = true;
  // One LRU cache for the data, index and filter blocks of every family,
  // and the part of it the memtables may take.
  int block_cache_mib = 128;
  int write_buffers_mib = 64;
  // The environment RocksDB does its file I/O through; null: the default.
  // Tests pass one that injects faults.
  rocksdb::Env* env = nullptr;
};

// A pessimistic engine on a RocksDB TransactionDB: GetForUpdate locks the
// key until the commit; a lock timeout or deadlock is a conflict and the
// transaction body runs again. Only one process may hold a path open at a
// time (RocksDB's LOCK file): Unavailable for the second.
absl::StatusOr<std::unique_ptr<KvEngine>> OpenRocksDbEngine(
    const RocksDbEngineOptions& options);

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_ROCKSDB_ENGINE_H_
