#include "storage/rocksdb_store.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/transaction.h"
#include "rocksdb/utilities/transaction_db.h"
#include "storage/rocksdb_status.h"

namespace identity::storage {
namespace {

// A pessimistic transaction that loses a lock race is retried this many times
// before the caller is told the store is busy.
constexpr int kMaxTransactionAttempts = 8;
constexpr int64_t kLockTimeoutMillis = 2000;

// The per-user key index is keyed user_id NUL access_key_id, so that a prefix
// scan over user_id NUL lists exactly one user's keys.
constexpr char kIndexSeparator = '\0';

std::string IndexPrefix(absl::string_view user_id) {
  return absl::StrCat(user_id, absl::string_view(&kIndexSeparator, 1));
}

// User names are unique without regard to ASCII case, as in AWS IAM, so
// "Alice" and "alice" cannot both exist; the record keeps the spelling given.
std::string UserNameKey(absl::string_view user_name) {
  return absl::AsciiStrToLower(user_name);
}

// absl::string_view is not std::string_view in this Abseil, so RocksDB's
// Slice cannot take it implicitly.
rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

absl::Status CheckId(absl::string_view id, absl::string_view what) {
  if (id.empty() || id.find(kIndexSeparator) != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage: ", what, " is empty or holds a NUL byte"));
  }
  return absl::OkStatus();
}

template <typename Record>
absl::StatusOr<Record> Parse(const std::string& bytes, absl::string_view what) {
  Record record;
  if (!record.ParseFromString(bytes)) {
    return absl::DataLossError(
        absl::StrCat("storage: ", what, " record does not parse"));
  }
  return record;
}

class RocksDbStore final : public Store {
 public:
  RocksDbStore(std::unique_ptr<rocksdb::TransactionDB> db,
               std::map<std::string, rocksdb::ColumnFamilyHandle*> families,
               bool sync_writes)
      : db_(std::move(db)), families_(std::move(families)) {
    write_options_.sync = sync_writes;
    users_ = families_.at(kUsersColumnFamily);
    user_names_ = families_.at(kUserNamesColumnFamily);
    access_keys_ = families_.at(kAccessKeysColumnFamily);
    user_access_keys_ = families_.at(kUserAccessKeysColumnFamily);
  }

  ~RocksDbStore() override {
    for (auto& [name, handle] : families_) {
      db_->DestroyColumnFamilyHandle(handle);
    }
    db_->Close().PermitUncheckedError();
  }

  absl::Status CreateUser(const UserRecord& user) override {
    if (absl::Status s = CheckId(user.user_id(), "user id"); !s.ok()) return s;
    if (user.user_name().empty()) {
      return absl::InvalidArgumentError("storage: user name is empty");
    }
    const std::string name_key = UserNameKey(user.user_name());
    return RunTransaction(
        "create user", [&](rocksdb::Transaction& txn) -> rocksdb::Status {
          std::string existing;
          rocksdb::Status s =
              txn.GetForUpdate(read_options_, user_names_, name_key, &existing);
          if (s.ok()) return rocksdb::Status::Incomplete("user name taken");
          if (!s.IsNotFound()) return s;
          s = txn.GetForUpdate(read_options_, users_, user.user_id(),
                               &existing);
          if (s.ok()) return rocksdb::Status::Incomplete("user id taken");
          if (!s.IsNotFound()) return s;
          s = txn.Put(users_, user.user_id(), user.SerializeAsString());
          if (!s.ok()) return s;
          return txn.Put(user_names_, name_key, user.user_id());
        });
  }

  absl::StatusOr<UserRecord> GetUserById(absl::string_view user_id) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    std::string bytes;
    rocksdb::Status s =
        db_->Get(read_options_, users_, ToSlice(user_id), &bytes);
    if (s.IsNotFound()) return absl::NotFoundError("user not found");
    if (!s.ok()) return FromRocksDb(s, "get user");
    return Parse<UserRecord>(bytes, "user");
  }

  absl::StatusOr<UserRecord> GetUserByName(
      absl::string_view user_name) override {
    std::string user_id;
    rocksdb::Status s =
        db_->Get(read_options_, user_names_, UserNameKey(user_name), &user_id);
    if (s.IsNotFound()) return absl::NotFoundError("user not found");
    if (!s.ok()) return FromRocksDb(s, "get user name");
    return GetUserById(user_id);
  }

  absl::StatusOr<bool> HasUsers() override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read_options_, users_));
    it->SeekToFirst();
    if (!it->status().ok()) return FromRocksDb(it->status(), "scan users");
    return it->Valid();
  }

  absl::Status CreateAccessKey(const AccessKeyRecord& key,
                               int max_keys_per_user) override {
    if (absl::Status s = CheckId(key.user_id(), "user id"); !s.ok()) return s;
    if (absl::Status s = CheckId(key.access_key_id(), "access key id");
        !s.ok()) {
      return s;
    }
    const std::string prefix = IndexPrefix(key.user_id());
    return RunTransaction(
        "create access key", [&](rocksdb::Transaction& txn) -> rocksdb::Status {
          // Locking the owner's record serialises every key change of one user,
          // so the count below cannot go stale before the commit.
          std::string ignored;
          rocksdb::Status s =
              txn.GetForUpdate(read_options_, users_, key.user_id(), &ignored);
          if (!s.ok()) return s;  // NotFound: no such user.
          s = txn.GetForUpdate(read_options_, access_keys_, key.access_key_id(),
                               &ignored);
          if (s.ok()) return rocksdb::Status::Incomplete("access key id taken");
          if (!s.IsNotFound()) return s;

          int count = 0;
          std::unique_ptr<rocksdb::Iterator> it(
              txn.GetIterator(read_options_, user_access_keys_));
          for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
               it->Next()) {
            ++count;
          }
          if (!it->status().ok()) return it->status();
          if (count >= max_keys_per_user) {
            return rocksdb::Status::Aborted("access key limit");
          }
          s = txn.Put(access_keys_, key.access_key_id(),
                      key.SerializeAsString());
          if (!s.ok()) return s;
          return txn.Put(user_access_keys_, prefix + key.access_key_id(), "");
        });
  }

  absl::StatusOr<AccessKeyRecord> GetAccessKey(
      absl::string_view access_key_id) override {
    if (absl::Status s = CheckId(access_key_id, "access key id"); !s.ok()) {
      return s;
    }
    std::string bytes;
    rocksdb::Status s =
        db_->Get(read_options_, access_keys_, ToSlice(access_key_id), &bytes);
    if (s.IsNotFound()) return absl::NotFoundError("access key not found");
    if (!s.ok()) return FromRocksDb(s, "get access key");
    return Parse<AccessKeyRecord>(bytes, "access key");
  }

  absl::StatusOr<std::vector<AccessKeyRecord>> ListAccessKeys(
      absl::string_view user_id) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    const std::string prefix = IndexPrefix(user_id);
    // One snapshot for the index scan and the record reads, so a key deleted
    // in between cannot show up as a dangling index entry.
    rocksdb::ReadOptions options = read_options_;
    const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
    options.snapshot = snapshot;
    std::vector<std::string> ids;
    {
      std::unique_ptr<rocksdb::Iterator> it(
          db_->NewIterator(options, user_access_keys_));
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
           it->Next()) {
        ids.push_back(it->key().ToString().substr(prefix.size()));
      }
      if (!it->status().ok()) {
        db_->ReleaseSnapshot(snapshot);
        return FromRocksDb(it->status(), "scan key index");
      }
    }
    std::vector<AccessKeyRecord> keys;
    keys.reserve(ids.size());
    absl::Status status;
    for (const std::string& id : ids) {
      std::string bytes;
      rocksdb::Status s = db_->Get(options, access_keys_, id, &bytes);
      if (!s.ok()) {
        status = FromRocksDb(s, "get indexed access key");
        break;
      }
      absl::StatusOr<AccessKeyRecord> key =
          Parse<AccessKeyRecord>(bytes, "access key");
      if (!key.ok()) {
        status = key.status();
        break;
      }
      keys.push_back(*std::move(key));
    }
    db_->ReleaseSnapshot(snapshot);
    if (!status.ok()) return status;
    std::sort(
        keys.begin(), keys.end(),
        [](const AccessKeyRecord& a, const AccessKeyRecord& b) {
          return std::make_pair(a.create_time_micros(), a.access_key_id()) <
                 std::make_pair(b.create_time_micros(), b.access_key_id());
        });
    return keys;
  }

 private:
  // Runs `body` in a pessimistic transaction and commits it, retrying lock
  // conflicts. `body` reports business outcomes through rocksdb statuses that
  // RocksDB itself never returns from these calls: Incomplete for a taken
  // unique key (AlreadyExists) and Aborted for the key limit
  // (FailedPrecondition).
  template <typename Body>
  absl::Status RunTransaction(absl::string_view what, Body body) {
    rocksdb::TransactionOptions txn_options;
    txn_options.lock_timeout = kLockTimeoutMillis;
    txn_options.deadlock_detect = true;
    rocksdb::Status s;
    for (int attempt = 0; attempt < kMaxTransactionAttempts; ++attempt) {
      std::unique_ptr<rocksdb::Transaction> txn(
          db_->BeginTransaction(write_options_, txn_options));
      s = body(*txn);
      if (s.ok()) s = txn->Commit();
      if (!s.ok()) txn->Rollback().PermitUncheckedError();
      if (!IsRetryableConflict(s)) break;
      absl::SleepFor(absl::Milliseconds(1 << attempt));
    }
    if (s.IsIncomplete()) {
      return absl::AlreadyExistsError(
          absl::StrCat(what, ": ", s.getState() ? s.getState() : "taken"));
    }
    if (s.IsAborted() && s.getState() != nullptr &&
        absl::string_view(s.getState()) == "access key limit") {
      return absl::FailedPreconditionError("access key limit reached");
    }
    if (s.IsNotFound()) return absl::NotFoundError("user not found");
    return FromRocksDb(s, what);
  }

  std::unique_ptr<rocksdb::TransactionDB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> families_;
  rocksdb::ColumnFamilyHandle* users_;
  rocksdb::ColumnFamilyHandle* user_names_;
  rocksdb::ColumnFamilyHandle* access_keys_;
  rocksdb::ColumnFamilyHandle* user_access_keys_;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteOptions write_options_;
};

}  // namespace

std::vector<std::string> AllColumnFamilies() {
  return {rocksdb::kDefaultColumnFamilyName,
          kUsersColumnFamily,
          kUserNamesColumnFamily,
          kAccessKeysColumnFamily,
          kUserAccessKeysColumnFamily,
          kSessionsColumnFamily,
          kVerificationCodesColumnFamily,
          kAuditColumnFamily};
}

absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(
    const RocksDbStoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.keep_log_file_num = 5;

  // Open every family on disk too, so a store written by a newer version
  // with an extra family still opens.
  std::vector<std::string> names = AllColumnFamilies();
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
  if (!s.ok()) return FromRocksDb(s, absl::StrCat("open ", options.path));
  std::unique_ptr<rocksdb::TransactionDB> db(raw_db);

  std::map<std::string, rocksdb::ColumnFamilyHandle*> families;
  for (size_t i = 0; i < handles.size(); ++i) {
    families[names[i]] = handles[i];
  }
  return std::unique_ptr<Store>(new RocksDbStore(
      std::move(db), std::move(families), options.sync_writes));
}

}  // namespace identity::storage
