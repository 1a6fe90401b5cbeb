#include "storage/kv_store.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace identity::storage {
namespace {

constexpr int kAll = std::numeric_limits<int>::max();
// Sessions are purged in pages of this many, each page one transaction.
constexpr int kPurgePage = 500;

// Index keys are <id> NUL <id>, so a prefix scan over <id> NUL finds exactly
// one owner's entries; ids never hold a NUL (CheckId).
constexpr char kSeparator = '\0';

constexpr absl::string_view kAdminsGuardKey("\0lock", 5);

// The sessions space holds two kinds of key: "t" + token hash -> the
// SessionRecord, and "u" + user id + NUL + token hash -> "" (per-user index).
constexpr char kSessionTag = 't';
constexpr char kUserSessionTag = 'u';

// The audit space holds "t" + event id -> the AuditEventRecord, and
// "u" + case-folded user name + NUL + event id -> "" (per-user index).
constexpr char kAuditTimeTag = 't';
constexpr char kAuditUserTag = 'u';
// The keys of one event: its record and at most two index entries.
constexpr int kAuditKeysPerEvent = 3;

std::string Prefix(absl::string_view id) {
  return absl::StrCat(id, absl::string_view(&kSeparator, 1));
}

// The smallest key after `key`: where a scan that excludes `key` starts.
std::string After(absl::string_view key) {
  return absl::StrCat(key, absl::string_view(&kSeparator, 1));
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

// Reads a record that must exist: NotFound with `what` otherwise.
template <typename Record>
absl::StatusOr<Record> ReadRecord(
    const absl::StatusOr<std::optional<std::string>>& bytes,
    absl::string_view what) {
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) {
    return absl::NotFoundError(absl::StrCat(what, " not found"));
  }
  return Parse<Record>(**bytes, what);
}

// Reads a record that may be absent: an empty record then.
template <typename Record>
absl::StatusOr<Record> ReadOrEmpty(
    const absl::StatusOr<std::optional<std::string>>& bytes,
    absl::string_view what) {
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return Record();
  return Parse<Record>(**bytes, what);
}

// The part of each scanned key after `prefix`.
std::vector<std::string> Suffixes(const std::vector<KeyValue>& entries,
                                  size_t prefix_size) {
  std::vector<std::string> out;
  out.reserve(entries.size());
  for (const KeyValue& entry : entries) {
    out.push_back(entry.key.substr(prefix_size));
  }
  return out;
}

class KvStore final : public Store {
 public:
  KvStore(std::unique_ptr<KvEngine> engine,
          std::function<void(const AuditEventRecord&)> audit_observer)
      : engine_(std::move(engine)),
        audit_observer_(std::move(audit_observer)) {}

  // --- users --------------------------------------------------------------

  absl::Status CreateUser(const UserRecord& user,
                          const AuditEvents& audit) override {
    if (absl::Status s = CheckId(user.user_id(), "user id"); !s.ok()) return s;
    if (user.user_name().empty()) {
      return absl::InvalidArgumentError("storage: user name is empty");
    }
    const std::string name_key = UserNameKey(user.user_name());
    return Transact(
        [&](KvTransaction& txn) -> absl::Status {
          // The name key guards the name, the user key the id.
          absl::StatusOr<std::optional<std::string>> name =
              txn.GetForUpdate(kUserNamesSpace, name_key);
          if (!name.ok()) return name.status();
          if (name->has_value())
            return absl::AlreadyExistsError("user name taken");
          absl::StatusOr<std::optional<std::string>> id =
              txn.GetForUpdate(kUsersSpace, user.user_id());
          if (!id.ok()) return id.status();
          if (id->has_value()) return absl::AlreadyExistsError("user id taken");
          if (IsEnabledAdmin(user)) {
            absl::StatusOr<int> admins = GuardAndCountAdmins(txn);
            if (!admins.ok()) return admins.status();
            if (absl::Status s = txn.Put(kAdminsSpace, user.user_id(), "");
                !s.ok()) {
              return s;
            }
          }
          if (absl::Status s = txn.Put(kUsersSpace, user.user_id(),
                                       user.SerializeAsString());
              !s.ok()) {
            return s;
          }
          return txn.Put(kUserNamesSpace, name_key, user.user_id());
        },
        audit);
  }

  absl::StatusOr<UserRecord> GetUserById(absl::string_view user_id) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    return ReadRecord<UserRecord>(
        engine_->NewReader()->Get(kUsersSpace, user_id), "user");
  }

  absl::StatusOr<UserRecord> GetUserByName(
      absl::string_view user_name) override {
    std::unique_ptr<KvReader> reader = engine_->NewReader();
    absl::StatusOr<std::optional<std::string>> user_id =
        reader->Get(kUserNamesSpace, UserNameKey(user_name));
    if (!user_id.ok()) return user_id.status();
    if (!user_id->has_value()) return absl::NotFoundError("user not found");
    if (absl::Status s = CheckId(**user_id, "user id"); !s.ok()) {
      return absl::DataLossError("storage: user name index is corrupt");
    }
    return ReadRecord<UserRecord>(reader->Get(kUsersSpace, **user_id), "user");
  }

  absl::StatusOr<bool> HasUsers() override {
    absl::StatusOr<std::vector<KeyValue>> first =
        engine_->NewReader()->Scan(kUsersSpace, KeyRange{}, 1);
    if (!first.ok()) return first.status();
    return !first->empty();
  }

  absl::StatusOr<std::vector<UserRecord>> ListUsers(
      absl::string_view after_user_name, int limit) override {
    const std::string after = UserNameKey(after_user_name);
    std::unique_ptr<KvReader> reader = engine_->NewReader();
    absl::StatusOr<std::vector<KeyValue>> names = reader->Scan(
        kUserNamesSpace, KeyRange{after.empty() ? "" : After(after), ""},
        std::max(limit, 0));
    if (!names.ok()) return names.status();
    std::vector<UserRecord> users;
    users.reserve(names->size());
    for (const KeyValue& name : *names) {
      absl::StatusOr<UserRecord> user =
          ReadRecord<UserRecord>(reader->Get(kUsersSpace, name.value), "user");
      if (absl::IsNotFound(user.status())) continue;
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
    absl::Status status = Transact(
        [&](KvTransaction& txn) -> absl::Status {
          absl::StatusOr<UserRecord> user = GuardUser(txn, user_id);
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
            absl::StatusOr<int> admins = GuardAndCountAdmins(txn);
            if (!admins.ok()) return admins.status();
            if (was_admin && *admins <= 1) {
              return absl::FailedPreconditionError(
                  "the last enabled admin cannot be demoted or disabled");
            }
            absl::Status s = is_admin ? txn.Put(kAdminsSpace, user_id, "")
                                      : txn.Delete(kAdminsSpace, user_id);
            if (!s.ok()) return s;
          }
          if (revoke_sessions) {
            if (absl::Status s = DeleteUserSessions(txn, user_id); !s.ok()) {
              return s;
            }
            updated.set_credential_version(user->credential_version() + 1);
          }
          if (absl::Status s =
                  txn.Put(kUsersSpace, user_id, updated.SerializeAsString());
              !s.ok()) {
            return s;
          }
          written = std::move(updated);
          return absl::OkStatus();
        },
        audit);
    if (!status.ok()) return status;
    return written;
  }

  // One transaction however many records: a user holds at most
  // max_keys_per_user keys and max_sessions_per_user sessions, and both
  // indexes go in one range deletion each. Audit events stay: they are the
  // history, not the user's state.
  absl::Status DeleteUser(absl::string_view user_id,
                          const AuditEvents& audit) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    return Transact(
        [&](KvTransaction& txn) -> absl::Status {
          absl::StatusOr<UserRecord> user = GuardUser(txn, user_id);
          if (!user.ok()) return user.status();
          if (IsEnabledAdmin(*user)) {
            absl::StatusOr<int> admins = GuardAndCountAdmins(txn);
            if (!admins.ok()) return admins.status();
            if (*admins <= 1) {
              return absl::FailedPreconditionError(
                  "the last enabled admin cannot be deleted");
            }
            if (absl::Status s = txn.Delete(kAdminsSpace, user_id); !s.ok()) {
              return s;
            }
          }
          const std::string key_prefix = Prefix(user_id);
          absl::StatusOr<std::vector<KeyValue>> keys =
              txn.Scan(kUserAccessKeysSpace, PrefixRange(key_prefix), kAll);
          if (!keys.ok()) return keys.status();
          for (const std::string& key_id : Suffixes(*keys, key_prefix.size())) {
            if (absl::Status s = txn.Delete(kAccessKeysSpace, key_id);
                !s.ok()) {
              return s;
            }
          }
          if (!keys->empty()) {
            if (absl::Status s = txn.DeleteRange(kUserAccessKeysSpace,
                                                 PrefixRange(key_prefix));
                !s.ok()) {
              return s;
            }
          }
          if (absl::Status s = DeleteUserSessions(txn, user_id); !s.ok()) {
            return s;
          }
          if (absl::Status s =
                  txn.Delete(kUserNamesSpace, UserNameKey(user->user_name()));
              !s.ok()) {
            return s;
          }
          if (absl::Status s = txn.Delete(kVerificationCodesSpace, user_id);
              !s.ok()) {
            return s;
          }
          return txn.Delete(kUsersSpace, user_id);
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
    return Transact(
        [&](KvTransaction& txn) -> absl::Status {
          // The owner's record guards their key count: read for update here
          // and written back below, so racing creates (and deletes) of one
          // user serialise on either engine.
          absl::StatusOr<UserRecord> owner = GuardUser(txn, key.user_id());
          if (!owner.ok()) return owner.status();
          if (actor.has_value()) {
            absl::Status held = actor->user_id == key.user_id()
                                    ? CheckCredentials(*owner, *actor)
                                    : GuardAndCheckCredentials(txn, *actor);
            if (!held.ok()) return held;
          }
          absl::StatusOr<std::optional<std::string>> taken =
              txn.GetForUpdate(kAccessKeysSpace, key.access_key_id());
          if (!taken.ok()) return taken.status();
          if (taken->has_value()) {
            return absl::AlreadyExistsError("access key id taken");
          }
          absl::StatusOr<std::vector<KeyValue>> held =
              txn.Scan(kUserAccessKeysSpace, PrefixRange(prefix), kAll);
          if (!held.ok()) return held.status();
          if (static_cast<int>(held->size()) >= max_keys_per_user) {
            return absl::FailedPreconditionError("access key limit reached");
          }
          if (absl::Status s = txn.Put(kAccessKeysSpace, key.access_key_id(),
                                       key.SerializeAsString());
              !s.ok()) {
            return s;
          }
          if (absl::Status s = txn.Put(kUserAccessKeysSpace,
                                       prefix + key.access_key_id(), "");
              !s.ok()) {
            return s;
          }
          return txn.Put(kUsersSpace, key.user_id(),
                         owner->SerializeAsString());
        },
        audit);
  }

  absl::StatusOr<AccessKeyRecord> GetAccessKey(
      absl::string_view access_key_id) override {
    if (absl::Status s = CheckId(access_key_id, "access key id"); !s.ok()) {
      return s;
    }
    return ReadRecord<AccessKeyRecord>(
        engine_->NewReader()->Get(kAccessKeysSpace, access_key_id),
        "access key");
  }

  absl::StatusOr<std::vector<AccessKeyRecord>> ListAccessKeys(
      absl::string_view user_id) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    const std::string prefix = Prefix(user_id);
    // One snapshot for the index scan and the record reads, so a key deleted
    // in between cannot show up as a dangling index entry.
    std::unique_ptr<KvReader> reader = engine_->NewReader();
    absl::StatusOr<std::vector<KeyValue>> index =
        reader->Scan(kUserAccessKeysSpace, PrefixRange(prefix), kAll);
    if (!index.ok()) return index.status();
    std::vector<AccessKeyRecord> keys;
    keys.reserve(index->size());
    for (const std::string& id : Suffixes(*index, prefix.size())) {
      absl::StatusOr<AccessKeyRecord> key = ReadRecord<AccessKeyRecord>(
          reader->Get(kAccessKeysSpace, id), "indexed access key");
      if (!key.ok()) return key.status();
      keys.push_back(*std::move(key));
    }
    std::sort(
        keys.begin(), keys.end(),
        [](const AccessKeyRecord& a, const AccessKeyRecord& b) {
          return std::make_pair(a.create_time_micros(), a.access_key_id()) <
                 std::make_pair(b.create_time_micros(), b.access_key_id());
        });
    return keys;
  }

  absl::StatusOr<std::vector<AccessKeyRecord>> ListAllAccessKeys(
      absl::string_view after_access_key_id, int limit) override {
    absl::StatusOr<std::vector<KeyValue>> entries = engine_->NewReader()->Scan(
        kAccessKeysSpace,
        KeyRange{after_access_key_id.empty() ? "" : After(after_access_key_id),
                 ""},
        std::max(limit, 0));
    if (!entries.ok()) return entries.status();
    std::vector<AccessKeyRecord> keys;
    keys.reserve(entries->size());
    for (const KeyValue& entry : *entries) {
      absl::StatusOr<AccessKeyRecord> key =
          Parse<AccessKeyRecord>(entry.value, "access key");
      if (!key.ok()) return key.status();
      keys.push_back(*std::move(key));
    }
    return keys;
  }

  absl::StatusOr<AccessKeyRecord> UpdateAccessKey(
      absl::string_view access_key_id, const AccessKeyMutation& mutate,
      const AuditEvents& audit) override {
    if (absl::Status s = CheckId(access_key_id, "access key id"); !s.ok()) {
      return s;
    }
    AccessKeyRecord written;
    absl::Status status = Transact(
        [&](KvTransaction& txn) -> absl::Status {
          absl::StatusOr<AccessKeyRecord> key = ReadRecord<AccessKeyRecord>(
              txn.GetForUpdate(kAccessKeysSpace, access_key_id), "access key");
          if (!key.ok()) return key.status();
          AccessKeyRecord updated = *key;
          if (absl::Status s = mutate(updated); !s.ok()) return s;
          if (updated.access_key_id() != key->access_key_id() ||
              updated.user_id() != key->user_id()) {
            return absl::InternalError("storage: key id and owner are fixed");
          }
          if (absl::Status s = txn.Put(kAccessKeysSpace, access_key_id,
                                       updated.SerializeAsString());
              !s.ok()) {
            return s;
          }
          written = std::move(updated);
          return absl::OkStatus();
        },
        audit);
    if (!status.ok()) return status;
    return written;
  }

  absl::StatusOr<std::vector<std::string>> UpdateAccessKeys(
      const std::vector<std::string>& access_key_ids,
      const AccessKeyBatchMutation& mutate, const AuditEvents& audit) override {
    for (const std::string& id : access_key_ids) {
      if (absl::Status s = CheckId(id, "access key id"); !s.ok()) return s;
    }
    // Each key is one compare (etcd) and one put; half the engine's limit
    // leaves room for the audit events.
    const size_t chunk = static_cast<size_t>(
        std::max(1, engine_->max_operations_per_transaction() / 2));
    std::vector<std::string> written;
    size_t begin = 0;
    do {
      const size_t end = std::min(access_key_ids.size(), begin + chunk);
      std::vector<std::string> chunk_written;
      absl::Status status = Transact(
          [&](KvTransaction& txn) -> absl::Status {
            // The body may run again after a conflict: start afresh.
            chunk_written.clear();
            for (size_t i = begin; i < end; ++i) {
              const std::string& id = access_key_ids[i];
              absl::StatusOr<std::optional<std::string>> bytes =
                  txn.GetForUpdate(kAccessKeysSpace, id);
              if (!bytes.ok()) return bytes.status();
              if (!bytes->has_value()) continue;  // deleted meanwhile
              absl::StatusOr<AccessKeyRecord> key =
                  Parse<AccessKeyRecord>(**bytes, "access key");
              if (!key.ok()) return key.status();
              AccessKeyRecord updated = *key;
              if (!mutate(updated)) continue;
              if (updated.access_key_id() != key->access_key_id() ||
                  updated.user_id() != key->user_id()) {
                return absl::InternalError(
                    "storage: key id and owner are fixed");
              }
              if (absl::Status s = txn.Put(kAccessKeysSpace, id,
                                           updated.SerializeAsString());
                  !s.ok()) {
                return s;
              }
              chunk_written.push_back(id);
            }
            return absl::OkStatus();
          },
          begin == 0 ? audit : AuditEvents{});
      if (!status.ok()) return status;
      written.insert(written.end(), chunk_written.begin(), chunk_written.end());
      begin = end;
    } while (begin < access_key_ids.size());
    return written;
  }

  absl::Status DeleteAccessKey(absl::string_view access_key_id,
                               const AuditEvents& audit) override {
    absl::StatusOr<AccessKeyRecord> key = GetAccessKey(access_key_id);
    if (!key.ok()) return key.status();
    const std::string owner_id = key->user_id();
    return Transact(
        [&](KvTransaction& txn) -> absl::Status {
          // The owner's guard first, as CreateAccessKey takes it.
          absl::StatusOr<UserRecord> owner = GuardUser(txn, owner_id);
          if (!owner.ok() && !absl::IsNotFound(owner.status())) {
            return owner.status();
          }
          absl::StatusOr<AccessKeyRecord> locked = ReadRecord<AccessKeyRecord>(
              txn.GetForUpdate(kAccessKeysSpace, access_key_id), "access key");
          if (!locked.ok()) return locked.status();
          if (locked->user_id() != owner_id) {
            return absl::AbortedError("storage: access key changed owner");
          }
          if (absl::Status s = txn.Delete(kAccessKeysSpace, access_key_id);
              !s.ok()) {
            return s;
          }
          if (absl::Status s =
                  txn.Delete(kUserAccessKeysSpace,
                             Prefix(owner_id) + std::string(access_key_id));
              !s.ok()) {
            return s;
          }
          if (!owner.ok()) return absl::OkStatus();
          return txn.Put(kUsersSpace, owner_id, owner->SerializeAsString());
        },
        audit);
  }

  // --- login attempts -----------------------------------------------------

  absl::StatusOr<LoginAttemptsRecord> GetLoginAttempts(
      absl::string_view user_name) override {
    return ReadOrEmpty<LoginAttemptsRecord>(
        engine_->NewReader()->Get(kLoginAttemptsSpace, UserNameKey(user_name)),
        "login attempts");
  }

  absl::StatusOr<LoginAttemptsRecord> UpdateLoginAttempts(
      absl::string_view user_name, const LoginAttemptsMutation& mutate,
      const AuditEvents& audit) override {
    const std::string key = UserNameKey(user_name);
    LoginAttemptsRecord written;
    absl::Status status = Transact(
        [&](KvTransaction& txn) -> absl::Status {
          // The record is its own guard.
          absl::StatusOr<LoginAttemptsRecord> record =
              ReadOrEmpty<LoginAttemptsRecord>(
                  txn.GetForUpdate(kLoginAttemptsSpace, key), "login attempts");
          if (!record.ok()) return record.status();
          mutate(*record);
          absl::Status s = record->ByteSizeLong() == 0
                               ? txn.Delete(kLoginAttemptsSpace, key)
                               : txn.Put(kLoginAttemptsSpace, key,
                                         record->SerializeAsString());
          if (!s.ok()) return s;
          written = *std::move(record);
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
    return Transact(
        [&](KvTransaction& txn) -> absl::Status {
          // The user's guard, so a concurrent DeleteUser or password change
          // cannot miss the new session, and the cap below holds.
          absl::StatusOr<UserRecord> user = GuardUser(txn, session.user_id());
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
          if (absl::Status s = txn.Put(kSessionsSpace, SessionKey(token_hash),
                                       session.SerializeAsString());
              !s.ok()) {
            return s;
          }
          if (absl::Status s = txn.Put(kSessionsSpace,
                                       UserSessionPrefix(session.user_id()) +
                                           std::string(token_hash),
                                       "");
              !s.ok()) {
            return s;
          }
          return txn.Put(kUsersSpace, session.user_id(),
                         user->SerializeAsString());
        },
        audit);
  }

  absl::StatusOr<SessionRecord> GetSession(
      absl::string_view token_hash) override {
    return ReadRecord<SessionRecord>(
        engine_->NewReader()->Get(kSessionsSpace, SessionKey(token_hash)),
        "session");
  }

  absl::Status DeleteSession(absl::string_view token_hash) override {
    return Transact([&](KvTransaction& txn) -> absl::Status {
      absl::StatusOr<SessionRecord> session = ReadRecord<SessionRecord>(
          txn.GetForUpdate(kSessionsSpace, SessionKey(token_hash)), "session");
      if (absl::IsNotFound(session.status())) return absl::OkStatus();
      if (!session.ok()) return session.status();
      if (absl::Status s = txn.Delete(kSessionsSpace, SessionKey(token_hash));
          !s.ok()) {
        return s;
      }
      return txn.Delete(kSessionsSpace, UserSessionPrefix(session->user_id()) +
                                            std::string(token_hash));
    });
  }

  // Any replica may purge, any number at once: deleting an absent key is a
  // no-op, so the pages are idempotent.
  absl::StatusOr<int> PurgeExpiredSessions(int64_t now_micros) override {
    const std::string tag(1, kSessionTag);
    const KeyRange all_sessions = PrefixRange(tag);
    const int page =
        std::min(kPurgePage, engine_->max_operations_per_transaction() / 2);
    int purged = 0;
    std::string start = all_sessions.start;
    while (true) {
      absl::StatusOr<std::vector<KeyValue>> entries =
          engine_->NewReader()->Scan(kSessionsSpace,
                                     KeyRange{start, all_sessions.end}, page);
      if (!entries.ok()) return entries.status();
      if (entries->empty()) return purged;
      start = After(entries->back().key);
      std::vector<std::pair<std::string, std::string>> expired;  // key, index
      for (const KeyValue& entry : *entries) {
        SessionRecord session;
        const bool parsed = session.ParseFromString(entry.value);
        if (parsed && session.expire_time_micros() > now_micros) continue;
        expired.emplace_back(
            entry.key,
            parsed ? UserSessionPrefix(session.user_id()) + entry.key.substr(1)
                   : std::string());
      }
      if (expired.empty()) continue;
      absl::Status status = Transact([&](KvTransaction& txn) -> absl::Status {
        for (const auto& [key, index] : expired) {
          if (absl::Status s = txn.Delete(kSessionsSpace, key); !s.ok()) {
            return s;
          }
          if (index.empty()) continue;
          if (absl::Status s = txn.Delete(kSessionsSpace, index); !s.ok()) {
            return s;
          }
        }
        return absl::OkStatus();
      });
      if (!status.ok()) return status;
      purged += static_cast<int>(expired.size());
    }
  }

  // --- verification codes -------------------------------------------------

  absl::StatusOr<VerificationCodeRecord> GetVerificationCode(
      absl::string_view user_id) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    return ReadOrEmpty<VerificationCodeRecord>(
        engine_->NewReader()->Get(kVerificationCodesSpace, user_id),
        "verification code");
  }

  absl::StatusOr<VerificationCodeRecord> UpdateVerificationCode(
      absl::string_view user_id, const VerificationCodeMutation& mutate,
      const AuditEvents& audit) override {
    if (absl::Status s = CheckId(user_id, "user id"); !s.ok()) return s;
    VerificationCodeRecord written;
    absl::Status status = Transact(
        [&](KvTransaction& txn) -> absl::Status {
          // The user's guard serialises this with DeleteUser, which writes
          // (deletes) the user record.
          absl::StatusOr<UserRecord> user = GuardUser(txn, user_id);
          if (!user.ok()) return user.status();
          absl::StatusOr<VerificationCodeRecord> record =
              ReadOrEmpty<VerificationCodeRecord>(
                  txn.GetForUpdate(kVerificationCodesSpace, user_id),
                  "verification code");
          if (!record.ok()) return record.status();
          if (absl::Status m = mutate(*record); !m.ok()) return m;
          absl::Status s = record->ByteSizeLong() == 0
                               ? txn.Delete(kVerificationCodesSpace, user_id)
                               : txn.Put(kVerificationCodesSpace, user_id,
                                         record->SerializeAsString());
          if (!s.ok()) return s;
          written = *std::move(record);
          return absl::OkStatus();
        },
        audit);
    if (!status.ok()) return status;
    return written;
  }

  // --- audit ----------------------------------------------------------------

  absl::Status CheckWritable() override { return engine_->CheckWritable(); }

  absl::StatusOr<std::vector<AuditEventRecord>> ListAuditEvents(
      const AuditQuery& query) override {
    // Both indexes end in the event id, which starts with the time: walk
    // backwards from the upper bound to the start time, up to the limit.
    const std::string prefix = query.user_name.empty()
                                   ? std::string(1, kAuditTimeTag)
                                   : AuditUserPrefix(query.user_name);
    std::string upper = prefix + AuditTimeBound(query.end_micros);
    if (!query.before_event_id.empty()) {
      upper = std::min(upper, prefix + query.before_event_id);
    }
    const std::string lower = prefix + AuditTimeBound(query.start_micros);
    std::vector<AuditEventRecord> events;
    if (lower >= upper || query.limit <= 0) return events;
    std::unique_ptr<KvReader> reader = engine_->NewReader();
    absl::StatusOr<std::vector<KeyValue>> entries =
        reader->Scan(kAuditSpace, KeyRange{lower, upper}, query.limit,
                     /*reverse=*/true);
    if (!entries.ok()) return entries.status();
    for (const KeyValue& entry : *entries) {
      absl::StatusOr<AuditEventRecord> event;
      if (query.user_name.empty()) {
        event = Parse<AuditEventRecord>(entry.value, "audit event");
      } else {
        event = ReadRecord<AuditEventRecord>(
            reader->Get(kAuditSpace, std::string(1, kAuditTimeTag) +
                                         entry.key.substr(prefix.size())),
            "audit event");
      }
      if (!event.ok()) return event.status();
      events.push_back(*std::move(event));
    }
    return events;
  }

  // The batch is found by a scan outside the transaction (cheap, and never
  // a guard), then each event is read for update inside it: a replica that
  // deleted it meanwhile makes the read find nothing (RocksDB: after its
  // lock; etcd: the compare fails and the body reruns), so the event is
  // skipped and counted once, by whoever deleted it. Events are written
  // once and never changed, so the index keys derived from the record read
  // are exactly the ones WriteAuditEvents put.
  absl::StatusOr<AuditPurgeBatch> PurgeAuditEvents(int64_t before_micros,
                                                   int max_events) override {
    AuditPurgeBatch batch;
    const int limit =
        std::min(max_events, engine_->max_operations_per_transaction() /
                                 kAuditKeysPerEvent);
    if (limit <= 0 || before_micros <= 0) return batch;
    const std::string time_tag(1, kAuditTimeTag);
    absl::StatusOr<std::vector<KeyValue>> old = engine_->NewReader()->Scan(
        kAuditSpace,
        KeyRange{time_tag, time_tag + AuditTimeBound(before_micros)}, limit);
    if (!old.ok()) return old.status();
    batch.found = static_cast<int>(old->size());
    if (old->empty()) return batch;
    absl::Status status = Transact([&](KvTransaction& txn) -> absl::Status {
      batch.deleted = 0;  // the body may run again
      for (const KeyValue& entry : *old) {
        absl::StatusOr<std::optional<std::string>> bytes =
            txn.GetForUpdate(kAuditSpace, entry.key);
        if (!bytes.ok()) return bytes.status();
        if (!bytes->has_value()) continue;  // another purge's
        absl::StatusOr<AuditEventRecord> event =
            Parse<AuditEventRecord>(**bytes, "audit event");
        if (!event.ok()) return event.status();
        // The key range already holds only older events; this keeps it so
        // should a record ever disagree with its key.
        if (event->time_micros() >= before_micros) continue;
        const std::string id = entry.key.substr(time_tag.size());
        if (absl::Status s = txn.Delete(kAuditSpace, entry.key); !s.ok()) {
          return s;
        }
        for (const std::string* name :
             {&event->user_name(), &event->actor_user_name()}) {
          if (name->empty()) continue;
          if (absl::Status s =
                  txn.Delete(kAuditSpace, AuditUserPrefix(*name) + id);
              !s.ok()) {
            return s;
          }
        }
        ++batch.deleted;
      }
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return batch;
  }

 private:
  // Runs `body` through the engine (which retries it on conflict) with
  // `audit` written in the same transaction, and hands the events to the
  // observer once committed. Ids are assigned once, before the first try.
  absl::Status Transact(const KvEngine::TransactionBody& body,
                        const AuditEvents& audit = {}) {
    AuditEvents events = audit;
    for (AuditEventRecord& event : events) {
      event.set_event_id(NextAuditEventId(event.time_micros()));
    }
    absl::Status status =
        engine_->Transact([&](KvTransaction& txn) -> absl::Status {
          if (absl::Status s = body(txn); !s.ok()) return s;
          return WriteAuditEvents(txn, events);
        });
    if (status.ok() && audit_observer_) {
      for (const AuditEventRecord& event : events) audit_observer_(event);
    }
    return status;
  }

  // 16 hex digits of the time, so ids sort by time; then 10 of a counter,
  // so events of one microsecond stay distinct and in order; then 6 of a
  // random tag drawn when the store opens, so replicas writing events of
  // the same microsecond with the same counter value still differ.
  std::string NextAuditEventId(int64_t time_micros) {
    const uint64_t sequence =
        audit_sequence_.fetch_add(1) & ((uint64_t{1} << 40) - 1);
    return absl::StrCat(
        AuditTimeBound(time_micros),
        absl::Hex((sequence << 24) | replica_tag_, absl::kZeroPad16));
  }

  absl::Status WriteAuditEvents(KvTransaction& txn, const AuditEvents& events) {
    for (const AuditEventRecord& event : events) {
      const std::string& id = event.event_id();
      if (absl::Status s =
              txn.Put(kAuditSpace, std::string(1, kAuditTimeTag) + id,
                      event.SerializeAsString());
          !s.ok()) {
        return s;
      }
      // Indexed under the user acted on and the actor, once each.
      if (!event.user_name().empty()) {
        if (absl::Status s = txn.Put(
                kAuditSpace, AuditUserPrefix(event.user_name()) + id, "");
            !s.ok()) {
          return s;
        }
      }
      if (!event.actor_user_name().empty() &&
          UserNameKey(event.actor_user_name()) !=
              UserNameKey(event.user_name())) {
        if (absl::Status s = txn.Put(
                kAuditSpace, AuditUserPrefix(event.actor_user_name()) + id, "");
            !s.ok()) {
          return s;
        }
      }
    }
    return absl::OkStatus();
  }

  // Reads the user record for update: the guard of the user's keys,
  // sessions and credential version.
  static absl::StatusOr<UserRecord> GuardUser(KvTransaction& txn,
                                              absl::string_view user_id) {
    return ReadRecord<UserRecord>(txn.GetForUpdate(kUsersSpace, user_id),
                                  "user");
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

  // Every revoking change writes the acting user's record, so reading it
  // for update is enough to fail (or serialise) against one.
  static absl::Status GuardAndCheckCredentials(
      KvTransaction& txn, const CredentialCheck& expected) {
    absl::StatusOr<UserRecord> user = GuardUser(txn, expected.user_id);
    if (absl::IsNotFound(user.status())) {
      return absl::AbortedError("storage: the acting user was deleted");
    }
    if (!user.ok()) return user.status();
    return CheckCredentials(*user, expected);
  }

  // Deletes the user's oldest sessions until at most `keep` remain. Runs
  // under the user's guard (CreateSession), so the count cannot go stale.
  static absl::Status EndOldestSessions(KvTransaction& txn,
                                        absl::string_view user_id, int keep) {
    const std::string prefix = UserSessionPrefix(user_id);
    absl::StatusOr<std::vector<KeyValue>> index =
        txn.Scan(kSessionsSpace, PrefixRange(prefix), kAll);
    if (!index.ok()) return index.status();
    if (static_cast<int>(index->size()) <= keep) return absl::OkStatus();
    std::vector<std::pair<int64_t, std::string>> by_age;
    by_age.reserve(index->size());
    for (const std::string& hash : Suffixes(*index, prefix.size())) {
      absl::StatusOr<SessionRecord> session = ReadOrEmpty<SessionRecord>(
          txn.Get(kSessionsSpace, SessionKey(hash)), "session");
      if (!session.ok()) return session.status();
      by_age.emplace_back(session->create_time_micros(), hash);
    }
    std::sort(by_age.begin(), by_age.end());
    const size_t excess = by_age.size() - static_cast<size_t>(keep);
    for (size_t i = 0; i < excess; ++i) {
      const std::string& hash = by_age[i].second;
      if (absl::Status s = txn.Delete(kSessionsSpace, SessionKey(hash));
          !s.ok()) {
        return s;
      }
      if (absl::Status s = txn.Delete(kSessionsSpace, prefix + hash); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  // Reads the admins guard for update, writes it (so an optimistic engine
  // sees the race too), and counts the enabled admins.
  static absl::StatusOr<int> GuardAndCountAdmins(KvTransaction& txn) {
    absl::StatusOr<std::optional<std::string>> guard =
        txn.GetForUpdate(kAdminsSpace, kAdminsGuardKey);
    if (!guard.ok()) return guard.status();
    if (absl::Status s = txn.Put(kAdminsSpace, kAdminsGuardKey, ""); !s.ok()) {
      return s;
    }
    absl::StatusOr<std::vector<KeyValue>> admins =
        txn.Scan(kAdminsSpace, KeyRange{}, kAll);
    if (!admins.ok()) return admins.status();
    int count = 0;
    for (const KeyValue& admin : *admins) {
      if (admin.key != kAdminsGuardKey) ++count;
    }
    return count;
  }

  // The index goes in one range deletion; each session record by its key.
  static absl::Status DeleteUserSessions(KvTransaction& txn,
                                         absl::string_view user_id) {
    const std::string prefix = UserSessionPrefix(user_id);
    absl::StatusOr<std::vector<KeyValue>> index =
        txn.Scan(kSessionsSpace, PrefixRange(prefix), kAll);
    if (!index.ok()) return index.status();
    if (index->empty()) return absl::OkStatus();
    for (const std::string& hash : Suffixes(*index, prefix.size())) {
      if (absl::Status s = txn.Delete(kSessionsSpace, SessionKey(hash));
          !s.ok()) {
        return s;
      }
    }
    return txn.DeleteRange(kSessionsSpace, PrefixRange(prefix));
  }

  const std::unique_ptr<KvEngine> engine_;
  const std::function<void(const AuditEventRecord&)> audit_observer_;
  // Starts from the wall clock (milliseconds) so that ids keep growing
  // across restarts even when event times repeat (an injected clock).
  std::atomic<uint64_t> audit_sequence_{
      static_cast<uint64_t>(absl::GetCurrentTimeNanos() / 1000000)};
  const uint64_t replica_tag_ =
      absl::Uniform<uint64_t>(absl::BitGen(), 0, uint64_t{1} << 24);
};

}  // namespace

std::vector<std::string> AllSpaces() {
  return {kUsersSpace,          kUserNamesSpace, kAccessKeysSpace,
          kUserAccessKeysSpace, kSessionsSpace,  kVerificationCodesSpace,
          kAuditSpace,          kAdminsSpace,    kLoginAttemptsSpace};
}

std::unique_ptr<Store> NewKvStore(
    std::unique_ptr<KvEngine> engine,
    std::function<void(const AuditEventRecord&)> audit_observer) {
  return std::make_unique<KvStore>(std::move(engine),
                                   std::move(audit_observer));
}

}  // namespace identity::storage
