#ifndef IDENTITY_STORAGE_STORE_H_
#define IDENTITY_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.pb.h"

namespace identity::storage {

// Security events that record a change (see Store).
using AuditEvents = std::vector<AuditEventRecord>;

// The credentials a change is made on, checked inside the change's own
// transaction: the user must still exist, be enabled and hold this
// credential version. Every revoking update (UpdateUser with
// revoke_sessions: a password set, a disable) bumps the version, so a
// sign-in that verified a password before an admin reset it, or disabled
// the user, cannot commit a session or a key after that change returned.
struct CredentialCheck {
  std::string user_id;
  int64_t credential_version = 0;
};

// Which audit events to list, newest first.
struct AuditQuery {
  // Events where this user acted or was acted on (without regard to case);
  // empty: every event.
  std::string user_name;
  // Event times in [start_micros, end_micros).
  int64_t start_micros = 0;
  int64_t end_micros = std::numeric_limits<int64_t>::max();
  // Only events older than this event id (the previous page's last);
  // empty: from the newest.
  std::string before_event_id;
  int limit = 100;
};

// What one call of Store::PurgeAuditEvents did.
struct AuditPurgeBatch {
  // Events older than the bound that the call found; 0 once none is left.
  int found = 0;
  // Of those, the events this call deleted. Fewer than `found` when another
  // caller (a replica's pass) deleted some first: each deletion is counted
  // by exactly one caller.
  int deleted = 0;
};

// The durable home of users and access keys.
//
// An interface so that a distributed engine can stand behind it later; the
// RocksDB implementation is in rocksdb_store.h. Every write is durable (synced)
// when the call returns OK.
//
// Errors: NotFound for a missing record, AlreadyExists for a taken unique
// name or id, FailedPrecondition only where documented, InvalidArgument for
// an id the store cannot hold, Unavailable for a storage fault or contention
// that outlasted the retries, DataLoss for a record that does not parse.
//
// Every change takes the security events that record it (`audit`), written
// in the same transaction: an event is stored if and only if its change is.
// The store assigns each event its id. An empty list writes none.
//
// Implementations are safe for concurrent use from multiple threads.
class Store {
 public:
  virtual ~Store() = default;

  // Adds a user. AlreadyExists if the user name or user id is taken.
  virtual absl::Status CreateUser(const UserRecord& user,
                                  const AuditEvents& audit) = 0;
  virtual absl::StatusOr<UserRecord> GetUserById(absl::string_view user_id) = 0;
  virtual absl::StatusOr<UserRecord> GetUserByName(
      absl::string_view user_name) = 0;
  // True once any user exists: a fresh store has none.
  virtual absl::StatusOr<bool> HasUsers() = 0;

  // Users ordered by name (without regard to case), starting after
  // `after_user_name` (empty: from the first), at most `limit`.
  virtual absl::StatusOr<std::vector<UserRecord>> ListUsers(
      absl::string_view after_user_name, int limit) = 0;

  // Reads the user, applies `mutate` and writes the result, atomically.
  // `mutate` must not change the user id or name; an error from it aborts
  // the update and is returned. FailedPrecondition if the change would leave
  // no enabled admin. With `revoke_sessions`, the user's sessions are
  // deleted and their credential version is bumped in the same transaction
  // (see CredentialCheck). Returns the user as written.
  using UserMutation = std::function<absl::Status(UserRecord&)>;
  virtual absl::StatusOr<UserRecord> UpdateUser(absl::string_view user_id,
                                                const UserMutation& mutate,
                                                bool revoke_sessions,
                                                const AuditEvents& audit) = 0;

  // Deletes the user with all their access keys and sessions in one
  // transaction. FailedPrecondition if they are the last enabled admin.
  virtual absl::Status DeleteUser(absl::string_view user_id,
                                  const AuditEvents& audit) = 0;

  // Adds `key` for key.user_id() atomically with the count of that user's
  // keys: FailedPrecondition if the user already holds `max_keys_per_user`
  // keys (any status), NotFound if the user does not exist, AlreadyExists if
  // the access key id is taken. Holds however many callers race. With
  // `actor`, Aborted unless the actor's credentials still hold (see
  // CredentialCheck); without (a service principal), no such check.
  virtual absl::Status CreateAccessKey(
      const AccessKeyRecord& key, int max_keys_per_user,
      const std::optional<CredentialCheck>& actor,
      const AuditEvents& audit) = 0;
  virtual absl::StatusOr<AccessKeyRecord> GetAccessKey(
      absl::string_view access_key_id) = 0;
  // The user's keys, oldest first (ties broken by id).
  virtual absl::StatusOr<std::vector<AccessKeyRecord>> ListAccessKeys(
      absl::string_view user_id) = 0;

  // Every user's keys ordered by access key id, starting after
  // `after_access_key_id` (empty: from the first), at most `limit`. Paging
  // this way returns each key that exists throughout exactly once, however
  // many keys are added meanwhile.
  virtual absl::StatusOr<std::vector<AccessKeyRecord>> ListAllAccessKeys(
      absl::string_view after_access_key_id, int limit) = 0;

  // Reads the key, applies `mutate` and writes the result, atomically.
  // `mutate` must not change the key id or owner.
  using AccessKeyMutation = std::function<absl::Status(AccessKeyRecord&)>;
  virtual absl::StatusOr<AccessKeyRecord> UpdateAccessKey(
      absl::string_view access_key_id, const AccessKeyMutation& mutate,
      const AuditEvents& audit) = 0;

  // UpdateAccessKey for many keys at once, for passes over every key
  // (re-sealing secrets under a new KEK): each named key is read and handed
  // to `mutate`, which returns true to write it back and false to leave it
  // as it is; a key that no longer exists is skipped. `mutate` must not
  // change the key id or owner. The keys go in as few transactions as the
  // engine allows (each key read and written in the same one), so a batch
  // costs one durable commit instead of one per key; on an error some of
  // those transactions may have committed. `audit` is written with the
  // first transaction (alone, for an empty list). Returns the ids written.
  using AccessKeyBatchMutation = std::function<bool(AccessKeyRecord&)>;
  virtual absl::StatusOr<std::vector<std::string>> UpdateAccessKeys(
      const std::vector<std::string>& access_key_ids,
      const AccessKeyBatchMutation& mutate, const AuditEvents& audit) = 0;

  // Deletes the key, freeing a slot of its owner's limit. Serialised with
  // CreateAccessKey on the owner, so a delete and creates racing never
  // exceed the limit.
  virtual absl::Status DeleteAccessKey(absl::string_view access_key_id,
                                       const AuditEvents& audit) = 0;

  // Failed-login bookkeeping per user name (case-folded like user names),
  // kept whether or not the user exists. A name never seen reads as an
  // empty record.
  virtual absl::StatusOr<LoginAttemptsRecord> GetLoginAttempts(
      absl::string_view user_name) = 0;
  // Reads, applies `mutate` and writes atomically; an all-zero result
  // deletes the record. Returns the record as written.
  using LoginAttemptsMutation = std::function<void(LoginAttemptsRecord&)>;
  virtual absl::StatusOr<LoginAttemptsRecord> UpdateLoginAttempts(
      absl::string_view user_name, const LoginAttemptsMutation& mutate,
      const AuditEvents& audit) = 0;

  // Sessions, keyed by the SHA-256 of their token. Aborted unless
  // `credentials` (the session's user) still hold. When the user already
  // holds `max_sessions_per_user` sessions, the oldest are deleted in the
  // same transaction to make room.
  virtual absl::Status CreateSession(absl::string_view token_hash,
                                     const SessionRecord& session,
                                     const CredentialCheck& credentials,
                                     int max_sessions_per_user,
                                     const AuditEvents& audit) = 0;
  virtual absl::StatusOr<SessionRecord> GetSession(
      absl::string_view token_hash) = 0;
  // OK whether or not the session existed.
  virtual absl::Status DeleteSession(absl::string_view token_hash) = 0;
  // Deletes sessions that expired at or before `now_micros`; returns how
  // many.
  virtual absl::StatusOr<int> PurgeExpiredSessions(int64_t now_micros) = 0;

  // The one-time code last sent to the user; an empty record if none.
  virtual absl::StatusOr<VerificationCodeRecord> GetVerificationCode(
      absl::string_view user_id) = 0;
  // Reads, applies `mutate` and writes atomically, serialised with the
  // user's other changes; an error from `mutate` aborts, an empty result
  // deletes. NotFound if the user does not exist. Deleted with the user.
  using VerificationCodeMutation =
      std::function<absl::Status(VerificationCodeRecord&)>;
  virtual absl::StatusOr<VerificationCodeRecord> UpdateVerificationCode(
      absl::string_view user_id, const VerificationCodeMutation& mutate,
      const AuditEvents& audit) = 0;

  // Audit events matching `query`, newest first.
  virtual absl::StatusOr<std::vector<AuditEventRecord>> ListAuditEvents(
      const AuditQuery& query) = 0;

  // Deletes one batch of the oldest audit events, those whose time is
  // before `before_micros`, each with its per-user index entries, in one
  // transaction: at most `max_events` events, fewer where the engine's
  // transaction limit needs it (etcd: 128 operations, three per event). An
  // event at or after `before_micros` is never touched, nor is an event
  // ever left half deleted. Any number of callers (threads, replicas) may
  // purge at once. Callers loop until `found` is 0.
  virtual absl::StatusOr<AuditPurgeBatch> PurgeAuditEvents(
      int64_t before_micros, int max_events) = 0;

  // OK if the store accepts writes now. An engine that stops writing after
  // a storage fault until told to resume (RocksDB's sticky background
  // error, after a failed WAL write, flush or compaction) is asked to
  // resume here first, so a transient fault (a full disk freed, descriptors
  // back) heals without a restart. Writes nothing a reader sees. Called
  // periodically by the health monitor; an engine with no such state keeps
  // the default.
  virtual absl::Status CheckWritable() { return absl::OkStatus(); }
};

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_STORE_H_
