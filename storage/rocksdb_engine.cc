#include "storage/rocksdb_engine.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/transaction.h"
#include "rocksdb/utilities/transaction_db.h"
#include "rocksdb/write_buffer_manager.h"
#include "storage/rocksdb_status.h"

namespace identity::storage {
namespace {

// A transaction that loses a lock race is retried this many times before
// the caller is told the store is busy.
constexpr int kMaxTransactionAttempts = 8;
constexpr int64_t kLockTimeoutMillis = 2000;
// RocksDB has no limit of its own; this keeps bulk deletions in steps of
// the same size as etcd's.
constexpr int kMaxOperationsPerTransaction = 1000;

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

using Families =
    std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>>;

absl::StatusOr<rocksdb::ColumnFamilyHandle*> Family(const Families& families,
                                                    absl::string_view space) {
  auto it = families.find(space);
  if (it == families.end()) {
    return absl::InternalError(
        absl::StrCat("storage: no column family ", space));
  }
  return it->second;
}

// Walks `range` of an iterator, forward or backward.
absl::StatusOr<std::vector<KeyValue>> ScanIterator(rocksdb::Iterator& it,
                                                   const KeyRange& range,
                                                   int limit, bool reverse) {
  std::vector<KeyValue> out;
  const rocksdb::Slice start = ToSlice(range.start);
  const rocksdb::Slice end = ToSlice(range.end);
  if (reverse) {
    if (range.end.empty()) {
      it.SeekToLast();
    } else {
      it.SeekForPrev(end);
      if (it.Valid() && it.key() == end) it.Prev();
    }
    for (; it.Valid() && static_cast<int>(out.size()) < limit; it.Prev()) {
      if (it.key().compare(start) < 0) break;
      out.push_back({it.key().ToString(), it.value().ToString()});
    }
  } else {
    for (it.Seek(start); it.Valid() && static_cast<int>(out.size()) < limit;
         it.Next()) {
      if (!range.end.empty() && it.key().compare(end) >= 0) break;
      out.push_back({it.key().ToString(), it.value().ToString()});
    }
  }
  if (!it.status().ok()) return FromRocksDb(it.status(), "scan");
  return out;
}

absl::StatusOr<std::optional<std::string>> Found(const rocksdb::Status& s,
                                                 std::string value,
                                                 absl::string_view what) {
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDb(s, what);
  return std::optional<std::string>(std::move(value));
}

class RocksDbReader final : public KvReader {
 public:
  RocksDbReader(rocksdb::DB* db, const Families& families)
      : db_(db), families_(families), snapshot_(db->GetSnapshot()) {
    options_.snapshot = snapshot_;
  }
  ~RocksDbReader() override { db_->ReleaseSnapshot(snapshot_); }

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view space, absl::string_view key) override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> family =
        Family(families_, space);
    if (!family.ok()) return family.status();
    std::string value;
    rocksdb::Status s = db_->Get(options_, *family, ToSlice(key), &value);
    return Found(s, std::move(value), "get");
  }

  absl::StatusOr<std::vector<KeyValue>> Scan(absl::string_view space,
                                             const KeyRange& range, int limit,
                                             bool reverse) override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> family =
        Family(families_, space);
    if (!family.ok()) return family.status();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options_, *family));
    return ScanIterator(*it, range, limit, reverse);
  }

 private:
  rocksdb::DB* const db_;
  const Families& families_;
  const rocksdb::Snapshot* const snapshot_;
  rocksdb::ReadOptions options_;
};

class RocksDbTransaction final : public KvTransaction {
 public:
  RocksDbTransaction(rocksdb::Transaction& txn, const Families& families)
      : txn_(txn), families_(families) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view space, absl::string_view key) override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> family =
        Family(families_, space);
    if (!family.ok()) return family.status();
    std::string value;
    rocksdb::Status s = txn_.Get(options_, *family, ToSlice(key), &value);
    return Found(s, std::move(value), "get");
  }

  absl::StatusOr<std::optional<std::string>> GetForUpdate(
      absl::string_view space, absl::string_view key) override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> family =
        Family(families_, space);
    if (!family.ok()) return family.status();
    std::string value;
    rocksdb::Status s =
        txn_.GetForUpdate(options_, *family, ToSlice(key), &value);
    return Found(s, std::move(value), "lock");
  }

  absl::StatusOr<std::vector<KeyValue>> Scan(absl::string_view space,
                                             const KeyRange& range, int limit,
                                             bool reverse) override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> family =
        Family(families_, space);
    if (!family.ok()) return family.status();
    std::unique_ptr<rocksdb::Iterator> it(txn_.GetIterator(options_, *family));
    return ScanIterator(*it, range, limit, reverse);
  }

  absl::Status Put(absl::string_view space, absl::string_view key,
                   absl::string_view value) override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> family =
        Family(families_, space);
    if (!family.ok()) return family.status();
    return FromRocksDb(txn_.Put(*family, ToSlice(key), ToSlice(value)), "put");
  }

  absl::Status Delete(absl::string_view space, absl::string_view key) override {
    absl::StatusOr<rocksdb::ColumnFamilyHandle*> family =
        Family(families_, space);
    if (!family.ok()) return family.status();
    return FromRocksDb(txn_.Delete(*family, ToSlice(key)), "delete");
  }

  // A TransactionDB has no transactional DeleteRange: delete key by key.
  absl::Status DeleteRange(absl::string_view space,
                           const KeyRange& range) override {
    absl::StatusOr<std::vector<KeyValue>> keys =
        Scan(space, range, std::numeric_limits<int>::max(), false);
    if (!keys.ok()) return keys.status();
    for (const KeyValue& entry : *keys) {
      if (absl::Status s = Delete(space, entry.key); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  rocksdb::Transaction& txn_;
  const Families& families_;
  rocksdb::ReadOptions options_;
};

class RocksDbEngine final : public KvEngine {
 public:
  RocksDbEngine(std::unique_ptr<rocksdb::TransactionDB> db, Families families,
                bool sync_writes)
      : db_(std::move(db)), families_(std::move(families)) {
    write_options_.sync = sync_writes;
  }

  ~RocksDbEngine() override {
    for (auto& [name, handle] : families_) {
      db_->DestroyColumnFamilyHandle(handle);
    }
    db_->Close().PermitUncheckedError();
  }

  absl::Status Transact(const TransactionBody& body) override {
    rocksdb::TransactionOptions txn_options;
    txn_options.lock_timeout = kLockTimeoutMillis;
    txn_options.deadlock_detect = true;
    absl::Status status;
    for (int attempt = 0; attempt < kMaxTransactionAttempts; ++attempt) {
      std::unique_ptr<rocksdb::Transaction> txn(
          db_->BeginTransaction(write_options_, txn_options));
      RocksDbTransaction kv(*txn, families_);
      status = body(kv);
      if (status.ok()) status = FromRocksDb(txn->Commit(), "commit");
      if (status.ok()) return status;
      txn->Rollback().PermitUncheckedError();
      if (!IsConflict(status)) return status;
      absl::SleepFor(absl::Milliseconds(1 << attempt));
    }
    return status;
  }

  std::unique_ptr<KvReader> NewReader() override {
    return std::make_unique<RocksDbReader>(db_.get(), families_);
  }

  int max_operations_per_transaction() const override {
    return kMaxOperationsPerTransaction;
  }

  absl::Status CheckWritable() override {
    rocksdb::Status s = WriteProbe();
    if (s.ok()) return absl::OkStatus();
    // A sticky background error stops every write until Resume() clears
    // it; Resume fails (and changes nothing) while the fault persists.
    // TransactionDB does not forward Resume (it answers NotSupported): ask
    // the DB beneath it.
    rocksdb::Status resumed = db_->GetRootDB()->Resume();
    if (resumed.ok()) s = WriteProbe();
    return FromRocksDb(s, "write probe");
  }

 private:
  // A tiny unsynced write in the default family, which holds no records:
  // the cheapest way to learn whether the engine takes writes.
  rocksdb::Status WriteProbe() {
    rocksdb::WriteOptions options;
    options.sync = false;
    return db_->Put(options, db_->DefaultColumnFamily(), "write_probe", "");
  }

  std::unique_ptr<rocksdb::TransactionDB> db_;
  const Families families_;
  rocksdb::WriteOptions write_options_;
};

// Memory is bounded on purpose (a million users must fit in 512 MiB): one
// LRU cache for data, index and filter blocks of every family, and the
// memtables of all families charged to it through one write buffer
// manager. Point lookups (users, keys, sessions by id) skip SST files
// through bloom filters.
rocksdb::Options TunedOptions(const RocksDbEngineOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.keep_log_file_num = 5;
  db_options.max_open_files = 512;
  if (options.env != nullptr) db_options.env = options.env;

  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(static_cast<size_t>(options.block_cache_mib) << 20);
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(
          static_cast<size_t>(options.write_buffers_mib) << 20, cache);
  db_options.write_buffer_size = 16 << 20;
  db_options.max_write_buffer_number = 2;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.format_version = 5;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return db_options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KvEngine>> OpenRocksDbEngine(
    const RocksDbEngineOptions& options) {
  rocksdb::Options db_options = TunedOptions(options);

  // Open every family on disk too, so a store written by a newer version
  // with an extra family still opens.
  std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName};
  for (const std::string& space : options.spaces) {
    if (std::find(names.begin(), names.end(), space) == names.end()) {
      names.push_back(space);
    }
  }
  std::vector<std::string> on_disk;
  if (rocksdb::DB::ListColumnFamilies(db_options, options.path, &on_disk)
          .ok()) {
    for (const std::string& name : on_disk) {
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(db_options));
  }

  rocksdb::TransactionDBOptions txn_db_options;
  txn_db_options.transaction_lock_timeout = kLockTimeoutMillis;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::TransactionDB* raw_db = nullptr;
  rocksdb::Status s = rocksdb::TransactionDB::Open(
      db_options, txn_db_options, options.path, descriptors, &handles, &raw_db);
  if (s.IsIOError() &&
      absl::StrContains(absl::AsciiStrToLower(s.ToString()), "lock")) {
    // RocksDB's LOCK file is held: the store is open in another process
    // (in practice a second identityd started on the same directory).
    // RocksDB says so only in its message text.
    return absl::UnavailableError(absl::StrCat(
        "another identityd is using ", options.path,
        " (its LOCK file is held): stop that one first, or give this one "
        "its own data directory"));
  }
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("open ", options.path));
  std::unique_ptr<rocksdb::TransactionDB> db(raw_db);

  Families families;
  for (size_t i = 0; i < handles.size(); ++i) {
    families[names[i]] = handles[i];
  }
  return std::unique_ptr<KvEngine>(new RocksDbEngine(
      std::move(db), std::move(families), options.sync_writes));
}

}  // namespace identity::storage
