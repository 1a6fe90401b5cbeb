#include "storage/rocksdb_store.h"

#include <algorithm>
#include <atomic>
#include <functional>
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

// A pessimistic transaction that loses a lock race is retried this many times
// before the caller is told the store is busy.
constexpr int kMaxTransactionAttempts = 8;
constexpr int64_t kLockTimeoutMillis = 2000;

// Index keys are <id> NUL <id>, so a prefix scan over <id> NUL finds exactly
// one owner's entries; ids never hold a NUL (CheckId).
constexpr char kSeparator = '\0';

// The admins family holds one key per enabled admin (its user id) and this
// lock key, which every change to the set of enabled admins locks first.
constexpr absl::string_view kAdminsLockKey("\0lock", 5);

// The sessions family holds two kinds of key: "t" + token hash -> the
// SessionRecord, and "u" + user id + NUL + token hash -> "" (per-user index).
constexpr char kSessionTag = 't';
constexpr char kUserSessionTag = 'u';

// The audit family holds "t" + event id -> the AuditEventRecord, and
// "u" + case-folded user name + NUL + event id -> "" (per-user index).
// Event ids are 16 hex digits of the time in microseconds, then 16 of a
// sequence number, so both kinds of key sort by time.
constexpr char kAuditTimeTag = 't';
constexpr char kAuditUserTag = 'u';

rocksdb::Slice ToSlice(absl::string_view s) {
  return rocksdb::Slice(s.data(), s.size());
}

std::string Prefix(absl::string_view id) {
  return absl::StrCat(id, absl::string_view(&kSeparator, 1));
}

std::string SessionKey(absl::string_view token_hash) {
  return absl::StrCat(absl::string_view(&kSessionTag, 1), token_hash);
}

std::string UserSessionPrefix(absl::string_view user_id) {
  return absl::StrCat(absl::string_view(&kUserSessionTag, 1), Prefix(user_id));
}

// User names are unique without regard to ASCII case, as in AWS IAM, so
// "Alice" and "alice" cannot both exist; the record keeps the spelling given.
std::string UserNameKey(absl::string_view user_name) {
  return absl::AsciiStrToLower(user_name);
}

std::string AuditUserPrefix(absl::string_view user_name) {
  return absl::StrCat(absl::string_view(&kAuditUserTag, 1),
                      Prefix(UserNameKey(user_name)));
}

// The event-id prefix of a time: every event at or after it sorts at or
// after this string.
std::string AuditTimeBound(int64_t time_micros) {
  return absl::StrCat(
      absl::Hex(static_cast<uint64_t>(std::max<int64_t>(time_micros, 0)),
                absl::kZeroPad16));
}

bool IsEnabledAdmin(const UserRecord& user) {
  return user.role() == UserRecord::ADMIN && !user.disabled();
}

absl::Status CheckId(absl::string_view id, absl::string_view what) {
  if (id.empty() || id.find(kSeparator) != absl::string_view::npos) {
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

absl::Status Check(const rocksdb::Status& status, absl::string_view what) {
  return FromRocksDb(status, what);
}

class RocksDbStore final : public Store {
 public:
  RocksDbStore(std::unique_ptr<rocksdb::TransactionDB> db,
               std::map<std::string, rocksdb::ColumnFamilyHandle*> families,
               const RocksDbStoreOptions& options)
      : db_(std::move(db)),
        families_(std::move(families)),
        audit_observer_(options.audit_observer) {
    write_options_.sync = options.sync_writes;
    users_ = families_.at(kUsersColumnFamily);
    user_names_ = families_.at(kUserNamesColumnFamily);
    access_keys_ = families_.at(kAccessKeysColumnFamily);
    user_access_keys_ = families_.at(kUserAccessKeysColumnFamily);
    sessions_ = families_.at(kSessionsColumnFamily);
    admins_ = families_.at(kAdminsColumnFamily);
    login_attempts_ = families_.at(kLoginAttemptsColumnFamily);
    verification_codes_ = families_.at(kVerificationCodesColumnFamily);
    audit_ = families_.at(kAuditColumnFamily);
  }

  ~RocksDbStore() override {
    for (auto& [name, handle] : families_) {
      db_->DestroyColumnFamilyHandle(handle);
    }
    db_->Close().PermitUncheckedError();
  }

  // --- health (self-contained: a write probe and RocksDB's Resume) --------

  absl::Status CheckWritable() override {
    rocksdb::Status s = WriteProbe();
    if (s.ok()) return absl::OkStatus();
    // A sticky background error stops every write until Resume() clears
    // it; Resume fails (and changes nothing) while the fault persists.
    // TransactionDB does not forward Resume (it answers NotSupported): ask
    // the DB beneath it.
    rocksdb::Status resumed = db_->GetRootDB()->Resume();
    if (resumed.ok()) s = WriteProbe();
    return Check(s, "write probe");
  }

  // --- users --------------------------------------------------------------

  absl::Status CreateUser(const UserRecord& user,
                          const AuditEvents& audit) override {
    if (absl::Status s = CheckId(user.user_id(), "user id"); !s.ok()) return s;
    if (user.user_name().empty()) {
      return absl::InvalidArgumentError("storage: user name is empty");
    }
    const std::string name_key = UserNameKey(user.user_name());
    return RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          std::string existing;
          rocksdb::Status s =
              txn.GetForUpdate(read_options_, user_names_, name_key, &existing);
          if (s.ok()) return absl::AlreadyExistsError("user name taken");
          if (!s.IsNotFound()) return Check(s, "create user");
          s = txn.GetForUpdate(read_options_, users_, user.user_id(),
                               &existing);
          if (s.ok()) return absl::AlreadyExistsError("user id taken");
          if (!s.IsNotFound()) return Check(s, "create user");
          if (IsEnabledAdmin(user)) {
            absl::StatusOr<int> admins = LockAndCountAdmins(txn);
            if (!admins.ok()) return admins.status();
            s = txn.Put(admins_, user.user_id(), "");
            if (!s.ok()) return Check(s, "create user");
          }
          s = txn.Put(users_, user.user_id(), user.SerializeAsString());
          if (s.ok()) s = txn.Put(user_names_, name_key, user.user_id());
          return Check(s, "create user");
        },
        audit);
  }

  absl::StatusOr<UserRecord> GetUserById(absl::string_view user_id) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    std::string bytes;
    rocksdb::Status s =
        db_->Get(read_options_, users_, ToSlice(user_id), &bytes);
    if (s.IsNotFound()) return absl::NotFoundError("user not found");
    if (!s.ok()) return Check(s, "get user");
    return Parse<UserRecord>(bytes, "user");
  }

  absl::StatusOr<UserRecord> GetUserByName(
      absl::string_view user_name) override {
    std::string user_id;
    rocksdb::Status s =
        db_->Get(read_options_, user_names_, UserNameKey(user_name), &user_id);
    if (s.IsNotFound()) return absl::NotFoundError("user not found");
    if (!s.ok()) return Check(s, "get user name");
    return GetUserById(user_id);
  }

  absl::StatusOr<bool> HasUsers() override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read_options_, users_));
    it->SeekToFirst();
    if (!it->status().ok()) return Check(it->status(), "scan users");
    return it->Valid();
  }

  absl::StatusOr<std::vector<UserRecord>> ListUsers(
      absl::string_view after_user_name, int limit) override {
    const std::string after = UserNameKey(after_user_name);
    std::vector<std::string> ids;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read_options_, user_names_));
    for (it->Seek(after); it->Valid() && static_cast<int>(ids.size()) < limit;
         it->Next()) {
      if (!after.empty() && it->key() == rocksdb::Slice(after)) continue;
      ids.push_back(it->value().ToString());
    }
    if (!it->status().ok()) return Check(it->status(), "scan user names");
    std::vector<UserRecord> users;
    users.reserve(ids.size());
    for (const std::string& id : ids) {
      absl::StatusOr<UserRecord> user = GetUserById(id);
      if (absl::IsNotFound(user.status())) continue;  // deleted meanwhile
      if (!user.ok()) return user.status();
      users.push_back(*std::move(user));
    }
    return users;
  }

  absl::StatusOr<UserRecord> UpdateUser(absl::string_view user_id,
                                        const UserMutation& mutate,
                                        bool revoke_sessions,
                                        const AuditEvents& audit) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    UserRecord written;
    absl::Status status = RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          absl::StatusOr<UserRecord> user = LockUser(txn, user_id);
          if (!user.ok()) return user.status();
          const bool was_admin = IsEnabledAdmin(*user);
          UserRecord updated = *user;
          if (absl::Status s = mutate(updated); !s.ok()) return s;
          if (updated.user_id() != user->user_id() ||
              updated.user_name() != user->user_name()) {
            return absl::InternalError("storage: user id and name are fixed");
          }
          const bool is_admin = IsEnabledAdmin(updated);
          if (was_admin != is_admin) {
            absl::StatusOr<int> admins = LockAndCountAdmins(txn);
            if (!admins.ok()) return admins.status();
            if (was_admin && *admins <= 1) {
              return absl::FailedPreconditionError(
                  "the last enabled admin cannot be demoted or disabled");
            }
            rocksdb::Status s = is_admin
                                    ? txn.Put(admins_, ToSlice(user_id), "")
                                    : txn.Delete(admins_, ToSlice(user_id));
            if (!s.ok()) return Check(s, "update admins");
          }
          if (revoke_sessions) {
            if (absl::Status s = DeleteUserSessions(txn, user_id); !s.ok()) {
              return s;
            }
            updated.set_credential_version(user->credential_version() + 1);
          }
          rocksdb::Status s =
              txn.Put(users_, ToSlice(user_id), updated.SerializeAsString());
          if (!s.ok()) return Check(s, "update user");
          written = std::move(updated);
          return absl::OkStatus();
        },
        audit);
    if (!status.ok()) return status;
    return written;
  }

  absl::Status DeleteUser(absl::string_view user_id,
                          const AuditEvents& audit) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    return RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          absl::StatusOr<UserRecord> user = LockUser(txn, user_id);
          if (!user.ok()) return user.status();
          if (IsEnabledAdmin(*user)) {
            absl::StatusOr<int> admins = LockAndCountAdmins(txn);
            if (!admins.ok()) return admins.status();
            if (*admins <= 1) {
              return absl::FailedPreconditionError(
                  "the last enabled admin cannot be deleted");
            }
            rocksdb::Status s = txn.Delete(admins_, ToSlice(user_id));
            if (!s.ok()) return Check(s, "delete user");
          }
          absl::StatusOr<std::vector<std::string>> key_ids =
              IndexedIds(txn, user_access_keys_, Prefix(user_id));
          if (!key_ids.ok()) return key_ids.status();
          for (const std::string& key_id : *key_ids) {
            rocksdb::Status s = txn.Delete(access_keys_, key_id);
            if (s.ok()) {
              s = txn.Delete(user_access_keys_, Prefix(user_id) + key_id);
            }
            if (!s.ok()) return Check(s, "delete user's keys");
          }
          if (absl::Status s = DeleteUserSessions(txn, user_id); !s.ok())
            return s;
          rocksdb::Status s =
              txn.Delete(user_names_, UserNameKey(user->user_name()));
          if (s.ok()) s = txn.Delete(users_, ToSlice(user_id));
          if (s.ok()) s = txn.Delete(verification_codes_, ToSlice(user_id));
          return Check(s, "delete user");
        },
        audit);
  }

  // --- access keys --------------------------------------------------------

  absl::Status CreateAccessKey(const AccessKeyRecord& key,
                               int max_keys_per_user,
                               const std::optional<CredentialCheck>& actor,
                               const AuditEvents& audit) override {
    if (absl::Status s = CheckId(key.user_id(), "user id"); !s.ok()) return s;
    if (absl::Status s = CheckId(key.access_key_id(), "access key id");
        !s.ok()) {
      return s;
    }
    const std::string prefix = Prefix(key.user_id());
    return RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          // Locking the owner's record serialises every key change of one user,
          // so the count below cannot go stale before the commit.
          absl::StatusOr<UserRecord> owner = LockUser(txn, key.user_id());
          if (!owner.ok()) return owner.status();
          if (actor.has_value()) {
            absl::Status held = actor->user_id == key.user_id()
                                    ? CheckCredentials(*owner, *actor)
                                    : LockAndCheckCredentials(txn, *actor);
            if (!held.ok()) return held;
          }
          std::string ignored;
          rocksdb::Status s = txn.GetForUpdate(read_options_, access_keys_,
                                               key.access_key_id(), &ignored);
          if (s.ok()) return absl::AlreadyExistsError("access key id taken");
          if (!s.IsNotFound()) return Check(s, "create access key");
          absl::StatusOr<std::vector<std::string>> held =
              IndexedIds(txn, user_access_keys_, prefix);
          if (!held.ok()) return held.status();
          if (static_cast<int>(held->size()) >= max_keys_per_user) {
            return absl::FailedPreconditionError("access key limit reached");
          }
          s = txn.Put(access_keys_, key.access_key_id(),
                      key.SerializeAsString());
          if (s.ok())
            s = txn.Put(user_access_keys_, prefix + key.access_key_id(), "");
          return Check(s, "create access key");
        },
        audit);
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
    if (!s.ok()) return Check(s, "get access key");
    return Parse<AccessKeyRecord>(bytes, "access key");
  }

  absl::StatusOr<std::vector<AccessKeyRecord>> ListAccessKeys(
      absl::string_view user_id) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    const std::string prefix = Prefix(user_id);
    // One snapshot for the index scan and the record reads, so a key deleted
    // in between cannot show up as a dangling index entry.
    rocksdb::ReadOptions options = read_options_;
    const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
    options.snapshot = snapshot;
    absl::StatusOr<std::vector<AccessKeyRecord>> keys =
        ReadIndexedKeys(options, prefix);
    db_->ReleaseSnapshot(snapshot);
    if (!keys.ok()) return keys.status();
    std::sort(
        keys->begin(), keys->end(),
        [](const AccessKeyRecord& a, const AccessKeyRecord& b) {
          return std::make_pair(a.create_time_micros(), a.access_key_id()) <
                 std::make_pair(b.create_time_micros(), b.access_key_id());
        });
    return keys;
  }

  absl::StatusOr<std::vector<AccessKeyRecord>> ListAllAccessKeys(
      absl::string_view after_access_key_id, int limit) override {
    std::vector<AccessKeyRecord> keys;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read_options_, access_keys_));
    for (it->Seek(ToSlice(after_access_key_id));
         it->Valid() && static_cast<int>(keys.size()) < limit; it->Next()) {
      if (it->key() == ToSlice(after_access_key_id)) continue;
      absl::StatusOr<AccessKeyRecord> key =
          Parse<AccessKeyRecord>(it->value().ToString(), "access key");
      if (!key.ok()) return key.status();
      keys.push_back(*std::move(key));
    }
    if (!it->status().ok()) return Check(it->status(), "scan access keys");
    return keys;
  }

  absl::StatusOr<AccessKeyRecord> UpdateAccessKey(
      absl::string_view access_key_id, const AccessKeyMutation& mutate,
      const AuditEvents& audit) override {
    if (absl::Status s = CheckId(access_key_id, "access key id"); !s.ok()) {
      return s;
    }
    AccessKeyRecord written;
    absl::Status status = RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          absl::StatusOr<AccessKeyRecord> key =
              LockAccessKey(txn, access_key_id);
          if (!key.ok()) return key.status();
          AccessKeyRecord updated = *key;
          if (absl::Status s = mutate(updated); !s.ok()) return s;
          if (updated.access_key_id() != key->access_key_id() ||
              updated.user_id() != key->user_id()) {
            return absl::InternalError("storage: key id and owner are fixed");
          }
          rocksdb::Status s = txn.Put(access_keys_, ToSlice(access_key_id),
                                      updated.SerializeAsString());
          if (!s.ok()) return Check(s, "update access key");
          written = std::move(updated);
          return absl::OkStatus();
        },
        audit);
    if (!status.ok()) return status;
    return written;
  }

  absl::Status DeleteAccessKey(absl::string_view access_key_id,
                               const AuditEvents& audit) override {
    absl::StatusOr<AccessKeyRecord> key = GetAccessKey(access_key_id);
    if (!key.ok()) return key.status();
    const std::string owner_id = key->user_id();
    return RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          // The owner first, as CreateAccessKey does: the two serialise.
          absl::StatusOr<UserRecord> owner = LockUser(txn, owner_id);
          if (!owner.ok() && !absl::IsNotFound(owner.status())) {
            return owner.status();
          }
          absl::StatusOr<AccessKeyRecord> locked =
              LockAccessKey(txn, access_key_id);
          if (!locked.ok()) return locked.status();
          if (locked->user_id() != owner_id) {
            return absl::AbortedError("storage: access key changed owner");
          }
          rocksdb::Status s = txn.Delete(access_keys_, ToSlice(access_key_id));
          if (s.ok()) {
            s = txn.Delete(user_access_keys_,
                           Prefix(owner_id) + std::string(access_key_id));
          }
          return Check(s, "delete access key");
        },
        audit);
  }

  // --- login attempts -----------------------------------------------------

  absl::StatusOr<LoginAttemptsRecord> GetLoginAttempts(
      absl::string_view user_name) override {
    std::string bytes;
    rocksdb::Status s = db_->Get(read_options_, login_attempts_,
                                 UserNameKey(user_name), &bytes);
    if (s.IsNotFound()) return LoginAttemptsRecord();
    if (!s.ok()) return Check(s, "get login attempts");
    return Parse<LoginAttemptsRecord>(bytes, "login attempts");
  }

  absl::StatusOr<LoginAttemptsRecord> UpdateLoginAttempts(
      absl::string_view user_name, const LoginAttemptsMutation& mutate,
      const AuditEvents& audit) override {
    const std::string key = UserNameKey(user_name);
    LoginAttemptsRecord written;
    absl::Status status = RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          std::string bytes;
          rocksdb::Status s =
              txn.GetForUpdate(read_options_, login_attempts_, key, &bytes);
          LoginAttemptsRecord record;
          if (s.ok()) {
            absl::StatusOr<LoginAttemptsRecord> parsed =
                Parse<LoginAttemptsRecord>(bytes, "login attempts");
            if (!parsed.ok()) return parsed.status();
            record = *std::move(parsed);
          } else if (!s.IsNotFound()) {
            return Check(s, "lock login attempts");
          }
          mutate(record);
          s = record.ByteSizeLong() == 0
                  ? txn.Delete(login_attempts_, key)
                  : txn.Put(login_attempts_, key, record.SerializeAsString());
          if (!s.ok()) return Check(s, "update login attempts");
          written = std::move(record);
          return absl::OkStatus();
        },
        audit);
    if (!status.ok()) return status;
    return written;
  }

  // --- sessions -----------------------------------------------------------

  absl::Status CreateSession(absl::string_view token_hash,
                             const SessionRecord& session,
                             const CredentialCheck& credentials,
                             int max_sessions_per_user,
                             const AuditEvents& audit) override {
    if (absl::Status s = CheckId(session.user_id(), "user id"); !s.ok()) {
      return s;
    }
    return RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          // Under the user's lock, so a concurrent DeleteUser or password
          // change cannot miss the new session.
          absl::StatusOr<UserRecord> user = LockUser(txn, session.user_id());
          if (!user.ok()) return user.status();
          if (credentials.user_id != session.user_id()) {
            return absl::InvalidArgumentError(
                "storage: a session is checked against its own user");
          }
          if (absl::Status s = CheckCredentials(*user, credentials); !s.ok()) {
            return s;
          }
          if (absl::Status s =
                  EndOldestSessions(txn, session.user_id(),
                                    std::max(0, max_sessions_per_user - 1));
              !s.ok()) {
            return s;
          }
          rocksdb::Status s = txn.Put(sessions_, SessionKey(token_hash),
                                      session.SerializeAsString());
          if (s.ok()) {
            s = txn.Put(
                sessions_,
                UserSessionPrefix(session.user_id()) + std::string(token_hash),
                "");
          }
          return Check(s, "create session");
        },
        audit);
  }

  absl::StatusOr<SessionRecord> GetSession(
      absl::string_view token_hash) override {
    std::string bytes;
    rocksdb::Status s =
        db_->Get(read_options_, sessions_, SessionKey(token_hash), &bytes);
    if (s.IsNotFound()) return absl::NotFoundError("session not found");
    if (!s.ok()) return Check(s, "get session");
    return Parse<SessionRecord>(bytes, "session");
  }

  absl::Status DeleteSession(absl::string_view token_hash) override {
    absl::StatusOr<SessionRecord> session = GetSession(token_hash);
    if (absl::IsNotFound(session.status())) return absl::OkStatus();
    if (!session.ok()) return session.status();
    rocksdb::WriteBatch batch;
    batch.Delete(sessions_, SessionKey(token_hash));
    batch.Delete(sessions_, UserSessionPrefix(session->user_id()) +
                                std::string(token_hash));
    return Check(db_->Write(write_options_, &batch), "delete session");
  }

  absl::StatusOr<int> PurgeExpiredSessions(int64_t now_micros) override {
    rocksdb::WriteBatch batch;
    int purged = 0;
    const std::string tag(1, kSessionTag);
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read_options_, sessions_));
    for (it->Seek(tag); it->Valid() && it->key().starts_with(tag); it->Next()) {
      SessionRecord session;
      const bool parsed = session.ParseFromString(it->value().ToString());
      if (parsed && session.expire_time_micros() > now_micros) continue;
      const std::string hash = it->key().ToString().substr(1);
      batch.Delete(sessions_, it->key());
      if (parsed) {
        batch.Delete(sessions_, UserSessionPrefix(session.user_id()) + hash);
      }
      ++purged;
    }
    if (!it->status().ok()) return Check(it->status(), "scan sessions");
    if (purged == 0) return 0;
    if (absl::Status s = Check(db_->Write(write_options_, &batch), "purge");
        !s.ok()) {
      return s;
    }
    return purged;
  }

  // --- verification codes -------------------------------------------------

  absl::StatusOr<VerificationCodeRecord> GetVerificationCode(
      absl::string_view user_id) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    std::string bytes;
    rocksdb::Status s =
        db_->Get(read_options_, verification_codes_, ToSlice(user_id), &bytes);
    if (s.IsNotFound()) return VerificationCodeRecord();
    if (!s.ok()) return Check(s, "get verification code");
    return Parse<VerificationCodeRecord>(bytes, "verification code");
  }

  absl::StatusOr<VerificationCodeRecord> UpdateVerificationCode(
      absl::string_view user_id, const VerificationCodeMutation& mutate,
      const AuditEvents& audit) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    VerificationCodeRecord written;
    absl::Status status = RunTransaction(
        [&](rocksdb::Transaction& txn) -> absl::Status {
          // The user's lock serialises this with DeleteUser.
          absl::StatusOr<UserRecord> user = LockUser(txn, user_id);
          if (!user.ok()) return user.status();
          std::string bytes;
          rocksdb::Status s = txn.GetForUpdate(
              read_options_, verification_codes_, ToSlice(user_id), &bytes);
          VerificationCodeRecord record;
          if (s.ok()) {
            absl::StatusOr<VerificationCodeRecord> parsed =
                Parse<VerificationCodeRecord>(bytes, "verification code");
            if (!parsed.ok()) return parsed.status();
            record = *std::move(parsed);
          } else if (!s.IsNotFound()) {
            return Check(s, "lock verification code");
          }
          if (absl::Status m = mutate(record); !m.ok()) return m;
          s = record.ByteSizeLong() == 0
                  ? txn.Delete(verification_codes_, ToSlice(user_id))
                  : txn.Put(verification_codes_, ToSlice(user_id),
                            record.SerializeAsString());
          if (!s.ok()) return Check(s, "update verification code");
          written = std::move(record);
          return absl::OkStatus();
        },
        audit);
    if (!status.ok()) return status;
    return written;
  }

  // --- audit ----------------------------------------------------------------

  absl::StatusOr<std::vector<AuditEventRecord>> ListAuditEvents(
      const AuditQuery& query) override {
    // Both indexes end in the event id, which starts with the time: walk
    // backwards from the upper bound until the start time or the limit.
    const std::string prefix = query.user_name.empty()
                                   ? std::string(1, kAuditTimeTag)
                                   : AuditUserPrefix(query.user_name);
    std::string upper = prefix + AuditTimeBound(query.end_micros);
    if (!query.before_event_id.empty()) {
      upper = std::min(upper, prefix + query.before_event_id);
    }
    const std::string lower = prefix + AuditTimeBound(query.start_micros);
    std::vector<AuditEventRecord> events;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(read_options_, audit_));
    for (it->SeekForPrev(upper);
         it->Valid() && static_cast<int>(events.size()) < query.limit;
         it->Prev()) {
      const std::string key = it->key().ToString();
      if (key >= upper) continue;  // the bound itself (a before_event_id)
      if (key < lower || !absl::StartsWith(key, prefix)) break;
      std::string bytes;
      if (query.user_name.empty()) {
        bytes = it->value().ToString();
      } else {
        const std::string event_key =
            std::string(1, kAuditTimeTag) + key.substr(prefix.size());
        rocksdb::Status s = db_->Get(read_options_, audit_, event_key, &bytes);
        if (!s.ok()) return Check(s, "get audit event");
      }
      absl::StatusOr<AuditEventRecord> event =
          Parse<AuditEventRecord>(bytes, "audit event");
      if (!event.ok()) return event.status();
      events.push_back(*std::move(event));
    }
    if (!it->status().ok()) return Check(it->status(), "scan audit events");
    return events;
  }

 private:
  // Runs `body` in a pessimistic transaction and commits it, running it
  // again after a lock conflict. An error from `body` rolls back.
  // `audit` is written in the same transaction and handed to the observer
  // once committed.
  template <typename Body>
  absl::Status RunTransaction(Body body, const AuditEvents& audit = {}) {
    rocksdb::TransactionOptions txn_options;
    txn_options.lock_timeout = kLockTimeoutMillis;
    txn_options.deadlock_detect = true;
    AuditEvents events = audit;
    for (AuditEventRecord& event : events) {
      event.set_event_id(NextAuditEventId(event.time_micros()));
    }
    absl::Status status;
    for (int attempt = 0; attempt < kMaxTransactionAttempts; ++attempt) {
      std::unique_ptr<rocksdb::Transaction> txn(
          db_->BeginTransaction(write_options_, txn_options));
      status = body(*txn);
      if (status.ok()) status = WriteAuditEvents(*txn, events);
      if (status.ok()) status = Check(txn->Commit(), "commit");
      if (status.ok()) {
        if (audit_observer_) {
          for (const AuditEventRecord& event : events) audit_observer_(event);
        }
        return status;
      }
      txn->Rollback().PermitUncheckedError();
      if (!IsRetryableConflict(status)) return status;
      absl::SleepFor(absl::Milliseconds(1 << attempt));
    }
    return status;
  }

  // Time first, so ids sort by time; then a counter, so events of one
  // microsecond stay distinct and in order.
  std::string NextAuditEventId(int64_t time_micros) {
    return absl::StrCat(
        AuditTimeBound(time_micros),
        absl::Hex(audit_sequence_.fetch_add(1), absl::kZeroPad16));
  }

  // A tiny unsynced write in the default family, which holds no records:
  // the cheapest way to learn whether the engine takes writes.
  rocksdb::Status WriteProbe() {
    rocksdb::WriteOptions options;
    options.sync = false;
    return db_->Put(options, db_->DefaultColumnFamily(), "write_probe", "");
  }

  absl::Status WriteAuditEvents(rocksdb::Transaction& txn,
                                const AuditEvents& events) {
    for (const AuditEventRecord& event : events) {
      const std::string& id = event.event_id();
      rocksdb::Status s = txn.Put(audit_, std::string(1, kAuditTimeTag) + id,
                                  event.SerializeAsString());
      // Indexed under the user acted on and the actor, once each.
      if (s.ok() && !event.user_name().empty()) {
        s = txn.Put(audit_, AuditUserPrefix(event.user_name()) + id, "");
      }
      if (s.ok() && !event.actor_user_name().empty() &&
          UserNameKey(event.actor_user_name()) !=
              UserNameKey(event.user_name())) {
        s = txn.Put(audit_, AuditUserPrefix(event.actor_user_name()) + id, "");
      }
      if (!s.ok()) return Check(s, "write audit event");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<UserRecord> LockUser(rocksdb::Transaction& txn,
                                      absl::string_view user_id) {
    std::string bytes;
    rocksdb::Status s =
        txn.GetForUpdate(read_options_, users_, ToSlice(user_id), &bytes);
    if (s.IsNotFound()) return absl::NotFoundError("user not found");
    if (!s.ok()) return Check(s, "lock user");
    return Parse<UserRecord>(bytes, "user");
  }

  static absl::Status CheckCredentials(const UserRecord& user,
                                       const CredentialCheck& expected) {
    if (user.disabled() ||
        user.credential_version() != expected.credential_version) {
      return absl::AbortedError(
          "storage: the credentials changed while the request was checked");
    }
    return absl::OkStatus();
  }

  absl::Status LockAndCheckCredentials(rocksdb::Transaction& txn,
                                       const CredentialCheck& expected) {
    absl::StatusOr<UserRecord> user = LockUser(txn, expected.user_id);
    if (absl::IsNotFound(user.status())) {
      return absl::AbortedError("storage: the acting user was deleted");
    }
    if (!user.ok()) return user.status();
    return CheckCredentials(*user, expected);
  }

  // Deletes the user's oldest sessions until at most `keep` remain. Runs
  // under the user's lock (CreateSession), so the count cannot go stale.
  absl::Status EndOldestSessions(rocksdb::Transaction& txn,
                                 absl::string_view user_id, int keep) {
    const std::string prefix = UserSessionPrefix(user_id);
    absl::StatusOr<std::vector<std::string>> hashes =
        IndexedIds(txn, sessions_, prefix);
    if (!hashes.ok()) return hashes.status();
    if (static_cast<int>(hashes->size()) <= keep) return absl::OkStatus();
    std::vector<std::pair<int64_t, std::string>> by_age;
    by_age.reserve(hashes->size());
    for (const std::string& hash : *hashes) {
      std::string bytes;
      rocksdb::Status s =
          txn.Get(read_options_, sessions_, SessionKey(hash), &bytes);
      if (!s.ok() && !s.IsNotFound()) return Check(s, "get session");
      int64_t created = 0;
      if (s.ok()) {
        absl::StatusOr<SessionRecord> session =
            Parse<SessionRecord>(bytes, "session");
        if (!session.ok()) return session.status();
        created = session->create_time_micros();
      }
      by_age.emplace_back(created, hash);
    }
    std::sort(by_age.begin(), by_age.end());
    const size_t excess = by_age.size() - static_cast<size_t>(keep);
    for (size_t i = 0; i < excess; ++i) {
      const std::string& hash = by_age[i].second;
      rocksdb::Status s = txn.Delete(sessions_, SessionKey(hash));
      if (s.ok()) s = txn.Delete(sessions_, prefix + hash);
      if (!s.ok()) return Check(s, "end oldest sessions");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<AccessKeyRecord> LockAccessKey(rocksdb::Transaction& txn,
                                                absl::string_view id) {
    std::string bytes;
    rocksdb::Status s =
        txn.GetForUpdate(read_options_, access_keys_, ToSlice(id), &bytes);
    if (s.IsNotFound()) return absl::NotFoundError("access key not found");
    if (!s.ok()) return Check(s, "lock access key");
    return Parse<AccessKeyRecord>(bytes, "access key");
  }

  // Locks the set of enabled admins and counts it.
  absl::StatusOr<int> LockAndCountAdmins(rocksdb::Transaction& txn) {
    std::string ignored;
    rocksdb::Status s = txn.GetForUpdate(read_options_, admins_,
                                         ToSlice(kAdminsLockKey), &ignored);
    if (!s.ok() && !s.IsNotFound()) return Check(s, "lock admins");
    int count = 0;
    std::unique_ptr<rocksdb::Iterator> it(
        txn.GetIterator(read_options_, admins_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key() != ToSlice(kAdminsLockKey)) ++count;
    }
    if (!it->status().ok()) return Check(it->status(), "count admins");
    return count;
  }

  // The ids after `prefix` in an index family, as the transaction sees it.
  absl::StatusOr<std::vector<std::string>> IndexedIds(
      rocksdb::Transaction& txn, rocksdb::ColumnFamilyHandle* family,
      const std::string& prefix) {
    std::vector<std::string> ids;
    std::unique_ptr<rocksdb::Iterator> it(
        txn.GetIterator(read_options_, family));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      ids.push_back(it->key().ToString().substr(prefix.size()));
    }
    if (!it->status().ok()) return Check(it->status(), "scan index");
    return ids;
  }

  absl::Status DeleteUserSessions(rocksdb::Transaction& txn,
                                  absl::string_view user_id) {
    const std::string prefix = UserSessionPrefix(user_id);
    absl::StatusOr<std::vector<std::string>> hashes =
        IndexedIds(txn, sessions_, prefix);
    if (!hashes.ok()) return hashes.status();
    for (const std::string& hash : *hashes) {
      rocksdb::Status s = txn.Delete(sessions_, SessionKey(hash));
      if (s.ok()) s = txn.Delete(sessions_, prefix + hash);
      if (!s.ok()) return Check(s, "delete sessions");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<AccessKeyRecord>> ReadIndexedKeys(
      const rocksdb::ReadOptions& options, const std::string& prefix) {
    std::vector<std::string> ids;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(options, user_access_keys_));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      ids.push_back(it->key().ToString().substr(prefix.size()));
    }
    if (!it->status().ok()) return Check(it->status(), "scan key index");
    std::vector<AccessKeyRecord> keys;
    keys.reserve(ids.size());
    for (const std::string& id : ids) {
      std::string bytes;
      rocksdb::Status s = db_->Get(options, access_keys_, id, &bytes);
      if (!s.ok()) return Check(s, "get indexed access key");
      absl::StatusOr<AccessKeyRecord> key =
          Parse<AccessKeyRecord>(bytes, "access key");
      if (!key.ok()) return key.status();
      keys.push_back(*std::move(key));
    }
    return keys;
  }

  std::unique_ptr<rocksdb::TransactionDB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> families_;
  rocksdb::ColumnFamilyHandle* users_;
  rocksdb::ColumnFamilyHandle* user_names_;
  rocksdb::ColumnFamilyHandle* access_keys_;
  rocksdb::ColumnFamilyHandle* user_access_keys_;
  rocksdb::ColumnFamilyHandle* sessions_;
  rocksdb::ColumnFamilyHandle* admins_;
  rocksdb::ColumnFamilyHandle* login_attempts_;
  rocksdb::ColumnFamilyHandle* verification_codes_;
  rocksdb::ColumnFamilyHandle* audit_;
  const std::function<void(const AuditEventRecord&)> audit_observer_;
  // Starts from the wall clock so that ids keep growing across restarts
  // even when event times repeat (an injected clock).
  std::atomic<uint64_t> audit_sequence_{
      static_cast<uint64_t>(absl::GetCurrentTimeNanos())};
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
          kAuditColumnFamily,
          kAdminsColumnFamily,
          kLoginAttemptsColumnFamily};
}

namespace {

// Memory is bounded on purpose (a million users must fit in 512 MiB): one
// LRU cache for data, index and filter blocks of every family, and the
// memtables of all families charged to it through one write buffer
// manager. Point lookups (users, keys, sessions by id) skip SST files
// through bloom filters.
rocksdb::Options TunedOptions(const RocksDbStoreOptions& options) {
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

absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(
    const RocksDbStoreOptions& options) {
  rocksdb::Options db_options = TunedOptions(options);

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
  if (!s.ok()) return Check(s, absl::StrCat("open ", options.path));
  std::unique_ptr<rocksdb::TransactionDB> db(raw_db);

  std::map<std::string, rocksdb::ColumnFamilyHandle*> families;
  for (size_t i = 0; i < handles.size(); ++i) {
    families[names[i]] = handles[i];
  }
  return std::unique_ptr<Store>(
      new RocksDbStore(std::move(db), std::move(families), options));
}

}  // namespace identity::storage
