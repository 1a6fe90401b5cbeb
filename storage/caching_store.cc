#include "storage/caching_store.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/record_cache.h"

namespace identity::storage {
namespace {

using KeyList = std::vector<AccessKeyRecord>;

// Entries are aged by a clock that never steps: with the wall clock, a
// step back by T would let an etcd entry outlive its max_age by T.
absl::Time MonotonicNow() {
  return absl::UnixEpoch() +
         absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

class CachingStore : public Store {
 public:
  CachingStore(std::unique_ptr<Store> inner, CachingStoreOptions options)
      : inner_(std::move(inner)),
        now_(options.now != nullptr ? std::move(options.now) : MonotonicNow),
        sessions_(options.max_entries, options.max_age,
                  [](const SessionRecord& session) {
                    return std::vector<std::string>{session.user_id()};
                  }),
        users_(options.max_entries, options.max_age),
        keys_(options.max_entries, options.max_age),
        key_lists_(options.max_entries, options.max_age,
                   [](const KeyList& keys) {
                     std::vector<std::string> ids;
                     ids.reserve(keys.size());
                     for (const AccessKeyRecord& key : keys) {
                       ids.push_back(key.access_key_id());
                     }
                     return ids;
                   }) {}

  // The cached reads.

  absl::StatusOr<SessionRecord> GetSession(
      absl::string_view token_hash) override {
    return Cached(sessions_, token_hash,
                  [&] { return inner_->GetSession(token_hash); });
  }

  absl::StatusOr<UserRecord> GetUserById(absl::string_view user_id) override {
    return Cached(users_, user_id,
                  [&] { return inner_->GetUserById(user_id); });
  }

  absl::StatusOr<AccessKeyRecord> GetAccessKey(
      absl::string_view access_key_id) override {
    return Cached(keys_, access_key_id,
                  [&] { return inner_->GetAccessKey(access_key_id); });
  }

  absl::StatusOr<KeyList> ListAccessKeys(absl::string_view user_id) override {
    return Cached(key_lists_, user_id,
                  [&] { return inner_->ListAccessKeys(user_id); });
  }

  // Changes, each followed by the invalidation of what it may have changed.

  absl::Status CreateUser(const UserRecord& user,
                          const AuditEvents& audit) override {
    absl::Status status = inner_->CreateUser(user, audit);
    users_.Erase(user.user_id());
    return status;
  }

  absl::StatusOr<UserRecord> UpdateUser(absl::string_view user_id,
                                        const UserMutation& mutate,
                                        bool revoke_sessions,
                                        const AuditEvents& audit) override {
    absl::StatusOr<UserRecord> updated =
        inner_->UpdateUser(user_id, mutate, revoke_sessions, audit);
    users_.Erase(user_id);
    if (revoke_sessions) EraseSessionsOf(user_id);
    return updated;
  }

  absl::Status DeleteUser(absl::string_view user_id,
                          const AuditEvents& audit) override {
    absl::Status status = inner_->DeleteUser(user_id, audit);
    users_.Erase(user_id);
    EraseSessionsOf(user_id);
    keys_.EraseIf(
        [&](const AccessKeyRecord& key) { return key.user_id() == user_id; });
    key_lists_.Erase(user_id);
    return status;
  }

  absl::Status CreateAccessKey(const AccessKeyRecord& key,
                               int max_keys_per_user,
                               const std::optional<CredentialCheck>& actor,
                               const AuditEvents& audit) override {
    absl::Status status =
        inner_->CreateAccessKey(key, max_keys_per_user, actor, audit);
    keys_.Erase(key.access_key_id());
    key_lists_.Erase(key.user_id());
    return status;
  }

  absl::StatusOr<AccessKeyRecord> UpdateAccessKey(
      absl::string_view access_key_id, const AccessKeyMutation& mutate,
      const AuditEvents& audit) override {
    absl::StatusOr<AccessKeyRecord> updated =
        inner_->UpdateAccessKey(access_key_id, mutate, audit);
    keys_.Erase(access_key_id);
    if (updated.ok()) {
      key_lists_.Erase(updated->user_id());
    } else {
      EraseListsHolding(access_key_id);
    }
    return updated;
  }

  absl::StatusOr<std::vector<std::string>> UpdateAccessKeys(
      const std::vector<std::string>& access_key_ids,
      const AccessKeyBatchMutation& mutate, const AuditEvents& audit) override {
    // The owners of the keys read, to drop their cached lists: one lookup
    // each, where a search of every cached list per key would cost a
    // batch of 500 keys 500 walks over the cache. Owners never change.
    absl::Mutex owners_mu;
    absl::flat_hash_set<std::string> owners;
    absl::StatusOr<std::vector<std::string>> written = inner_->UpdateAccessKeys(
        access_key_ids,
        [&](AccessKeyRecord& key) {
          {
            absl::MutexLock lock(&owners_mu);
            owners.insert(key.user_id());
          }
          return mutate(key);
        },
        audit);
    // Every named key, whatever the status: an error may follow commits.
    for (const std::string& id : access_key_ids) keys_.Erase(id);
    for (const std::string& owner : owners) key_lists_.Erase(owner);
    if (!written.ok()) {
      // A key not read (the engine failed first) may still be cached in a
      // list; one walk over the lists finds them all.
      const absl::flat_hash_set<std::string> ids(access_key_ids.begin(),
                                                 access_key_ids.end());
      key_lists_.EraseIf([&](const KeyList& keys) {
        for (const AccessKeyRecord& key : keys) {
          if (ids.contains(key.access_key_id())) return true;
        }
        return false;
      });
    }
    return written;
  }

  absl::Status DeleteAccessKey(absl::string_view access_key_id,
                               const AuditEvents& audit) override {
    absl::Status status = inner_->DeleteAccessKey(access_key_id, audit);
    keys_.Erase(access_key_id);
    EraseListsHolding(access_key_id);
    return status;
  }

  absl::Status CreateSession(absl::string_view token_hash,
                             const SessionRecord& session,
                             const CredentialCheck& credentials,
                             int max_sessions_per_user,
                             const AuditEvents& audit) override {
    absl::Status status = inner_->CreateSession(
        token_hash, session, credentials, max_sessions_per_user, audit);
    // The per-user limit may have deleted the user's oldest sessions; which
    // ones the store does not say.
    EraseSessionsOf(session.user_id());
    sessions_.Erase(token_hash);
    return status;
  }

  absl::Status DeleteSession(absl::string_view token_hash) override {
    absl::Status status = inner_->DeleteSession(token_hash);
    sessions_.Erase(token_hash);
    return status;
  }

  absl::StatusOr<int> PurgeExpiredSessions(int64_t now_micros) override {
    absl::StatusOr<int> purged = inner_->PurgeExpiredSessions(now_micros);
    sessions_.EraseIf([&](const SessionRecord& session) {
      return session.expire_time_micros() <= now_micros;
    });
    return purged;
  }

  // Everything else passes through: password sign-ins (Argon2 dwarfs the
  // read), listings, throttle and code bookkeeping, audit.

  absl::StatusOr<UserRecord> GetUserByName(
      absl::string_view user_name) override {
    return inner_->GetUserByName(user_name);
  }
  absl::StatusOr<bool> HasUsers() override { return inner_->HasUsers(); }
  absl::StatusOr<std::vector<UserRecord>> ListUsers(
      absl::string_view after_user_name, int limit) override {
    return inner_->ListUsers(after_user_name, limit);
  }
  absl::StatusOr<KeyList> ListAllAccessKeys(
      absl::string_view after_access_key_id, int limit) override {
    return inner_->ListAllAccessKeys(after_access_key_id, limit);
  }
  absl::StatusOr<LoginAttemptsRecord> GetLoginAttempts(
      absl::string_view user_name) override {
    return inner_->GetLoginAttempts(user_name);
  }
  absl::StatusOr<LoginAttemptsRecord> UpdateLoginAttempts(
      absl::string_view user_name, const LoginAttemptsMutation& mutate,
      const AuditEvents& audit) override {
    return inner_->UpdateLoginAttempts(user_name, mutate, audit);
  }
  absl::StatusOr<VerificationCodeRecord> GetVerificationCode(
      absl::string_view user_id) override {
    return inner_->GetVerificationCode(user_id);
  }
  absl::StatusOr<VerificationCodeRecord> UpdateVerificationCode(
      absl::string_view user_id, const VerificationCodeMutation& mutate,
      const AuditEvents& audit) override {
    return inner_->UpdateVerificationCode(user_id, mutate, audit);
  }
  absl::StatusOr<std::vector<AuditEventRecord>> ListAuditEvents(
      const AuditQuery& query) override {
    return inner_->ListAuditEvents(query);
  }
  // Audit events are never cached.
  absl::StatusOr<AuditPurgeBatch> PurgeAuditEvents(int64_t before_micros,
                                                   int max_events) override {
    return inner_->PurgeAuditEvents(before_micros, max_events);
  }
  absl::Status CheckWritable() override { return inner_->CheckWritable(); }

 private:
  // Found records only: a miss (NotFound) is read again each time, so a
  // record created by another process is seen at once.
  template <typename Value, typename Read>
  absl::StatusOr<Value> Cached(RecordCache<Value>& cache, absl::string_view key,
                               const Read& read) {
    const absl::Time now = now_();
    if (std::optional<Value> hit = cache.Find(key, now); hit.has_value()) {
      return *std::move(hit);
    }
    const uint64_t epoch = cache.Epoch();
    absl::StatusOr<Value> value = read();
    if (value.ok()) cache.Insert(key, *value, epoch, now);
    return value;
  }

  void EraseSessionsOf(absl::string_view user_id) {
    sessions_.EraseGroup(user_id);
  }

  void EraseListsHolding(absl::string_view access_key_id) {
    key_lists_.EraseGroup(access_key_id);
  }

  const std::unique_ptr<Store> inner_;
  const std::function<absl::Time()> now_;
  RecordCache<SessionRecord> sessions_;
  RecordCache<UserRecord> users_;
  RecordCache<AccessKeyRecord> keys_;
  RecordCache<KeyList> key_lists_;
};

}  // namespace

std::unique_ptr<Store> NewCachingStore(std::unique_ptr<Store> inner,
                                       CachingStoreOptions options) {
  return std::make_unique<CachingStore>(std::move(inner), std::move(options));
}

}  // namespace identity::storage
