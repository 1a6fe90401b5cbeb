#ifndef IDENTITY_STORAGE_ROCKSDB_STORE_H_
#define IDENTITY_STORAGE_ROCKSDB_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace identity::storage {

// Column families, one per record kind. Exposed so that tests can scan the
// raw files; nothing else should depend on the layout.
inline constexpr const char* kUsersColumnFamily = "users";
inline constexpr const char* kUserNamesColumnFamily = "user_names";
inline constexpr const char* kAccessKeysColumnFamily = "access_keys";
inline constexpr const char* kUserAccessKeysColumnFamily = "user_access_keys";
inline constexpr const char* kSessionsColumnFamily = "sessions";
inline constexpr const char* kVerificationCodesColumnFamily =
    "verification_codes";
inline constexpr const char* kAuditColumnFamily = "audit";
// Index of enabled admins, so "the last admin cannot go" is one locked count.
inline constexpr const char* kAdminsColumnFamily = "admins";
inline constexpr const char* kLoginAttemptsColumnFamily = "login_attempts";

// Every column family this store creates, "default" included.
std::vector<std::string> AllColumnFamilies();

struct RocksDbStoreOptions {
  // Directory of the database; created if missing.
  std::string path;
  // Off only in tests that measure something other than fsync.
  bool sync_writes = true;
  // Called with each audit event once its transaction has committed (for
  // the audit log line); may be empty. Called on the writing thread.
  std::function<void(const AuditEventRecord&)> audit_observer;
  // The block cache shared by every column family (data, index and filter
  // blocks), and the part of it the memtables may take.
  int block_cache_mib = 128;
  int write_buffers_mib = 64;
  // The environment RocksDB does its file I/O through; null: the default.
  // Tests pass one that injects faults.
  rocksdb::Env* env = nullptr;
};

// Opens (creating if needed) a RocksDB TransactionDB-backed Store. Only one
// process may hold a given path open at a time (RocksDB's LOCK file).
absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(
    const RocksDbStoreOptions& options);

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_ROCKSDB_STORE_H_
