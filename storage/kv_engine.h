#ifndef IDENTITY_STORAGE_KV_ENGINE_H_
#define IDENTITY_STORAGE_KV_ENGINE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace identity::storage {

// The small transactional key-value interface the record layout (kv_store.h)
// is written on, once, for every engine. Keys live in named spaces (one
// per record kind: a RocksDB column family, an etcd key prefix); keys and
// values are arbitrary bytes.

struct KeyValue {
  std::string key;
  std::string value;
};

// A half-open key range [start, end) inside one space; an empty `end` means
// up to the end of the space. Reverse scans walk from the end.
struct KeyRange {
  std::string start;
  std::string end;
};

// The smallest key greater than every key that starts with `prefix`; empty
// when there is none (all 0xff), which KeyRange reads as "to the end".
std::string PrefixEnd(absl::string_view prefix);
inline KeyRange PrefixRange(absl::string_view prefix) {
  return KeyRange{std::string(prefix), PrefixEnd(prefix)};
}

// Reads of one consistent snapshot.
class KvReader {
 public:
  virtual ~KvReader() = default;
  // nullopt when the key is absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view space, absl::string_view key) = 0;
  // At most `limit` entries of `range`, in key order (descending with
  // `reverse`). A scan is never a guard: it takes no lock and no compare.
  virtual absl::StatusOr<std::vector<KeyValue>> Scan(absl::string_view space,
                                                     const KeyRange& range,
                                                     int limit,
                                                     bool reverse = false) = 0;
};

// One transaction. Reads see a snapshot plus the transaction's own writes.
// Nothing is visible to others before the commit, and the commit is
// all-or-nothing.
//
// The guard rule: a key read with GetForUpdate is locked (RocksDB) or
// compared at commit (etcd: its mod_revision must be unchanged), so two
// transactions that both read-for-update AND write the same key are
// serialised on either engine. A transaction that must not race with
// another on an invariant reads-for-update and writes that invariant's
// guard key, even when its value does not change.
class KvTransaction : public KvReader {
 public:
  virtual absl::StatusOr<std::optional<std::string>> GetForUpdate(
      absl::string_view space, absl::string_view key) = 0;
  virtual absl::Status Put(absl::string_view space, absl::string_view key,
                           absl::string_view value) = 0;
  virtual absl::Status Delete(absl::string_view space,
                              absl::string_view key) = 0;
  // Deletes every key of `range` (one operation on etcd, however many keys).
  // The same transaction must not also put a key inside `range`.
  virtual absl::Status DeleteRange(absl::string_view space,
                                   const KeyRange& range) = 0;
};

// An engine: RocksDB (rocksdb_engine.h) or etcd (etcd/etcd_engine.h).
// Safe for concurrent use from multiple threads.
class KvEngine {
 public:
  using TransactionBody = std::function<absl::Status(KvTransaction&)>;

  virtual ~KvEngine() = default;

  // Runs `body` in a fresh transaction and commits it durably (synced WAL,
  // Raft quorum). On a conflict (a lock race, a failed compare) the whole
  // `body` runs again in a new transaction, a bounded number of times, then
  // Unavailable. An error returned by `body` aborts the transaction and is
  // returned as is; `body` must have no effects outside the transaction.
  virtual absl::Status Transact(const TransactionBody& body) = 0;

  // A reader of one consistent snapshot of the latest committed state.
  virtual std::unique_ptr<KvReader> NewReader() = 0;

  // The most operations (puts, deletes) one transaction may hold; the
  // layout splits bulk deletions into transactions of this size.
  virtual int max_operations_per_transaction() const = 0;

  // See Store::CheckWritable: OK if the engine takes writes now, after
  // asking an engine stopped by a storage fault to resume.
  virtual absl::Status CheckWritable() { return absl::OkStatus(); }
};

// An error status that tells the retry loop of Transact to run the body
// again (a lock timeout, a compare that failed, a compacted revision).
absl::Status ConflictError(absl::string_view message);
bool IsConflict(const absl::Status& status);

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_KV_ENGINE_H_
