#ifndef IDENTITY_TESTS_TESTING_FAULTY_STORE_H_
#define IDENTITY_TESTS_TESTING_FAULTY_STORE_H_

#include <atomic>

#include "absl/synchronization/notification.h"
#include "storage/store.h"

namespace identity::testing {

// A Store that forwards to another but, while `fail_writes` is set, answers
// every write as a storage fault would (Unavailable), writing nothing.
class FaultyStore final : public storage::Store {
 public:
  explicit FaultyStore(storage::Store& real) : real_(real) {}

  std::atomic<bool> fail_writes{false};
  // While set, UpdateAccessKeys writes the first half of its keys, then
  // answers Unavailable: a batch whose later transaction failed.
  std::atomic<bool> fail_batches_halfway{false};
  // When set, UpdateAccessKeys waits for it before writing: a batch that is
  // still running for as long as the test wants.
  absl::Notification* hold_batches_until = nullptr;

  absl::Status CreateUser(const storage::UserRecord& user,
                          const storage::AuditEvents& audit) override {
    return Write([&] { return real_.CreateUser(user, audit); });
  }
  absl::StatusOr<storage::UserRecord> GetUserById(
      absl::string_view user_id) override {
    return real_.GetUserById(user_id);
  }
  absl::StatusOr<storage::UserRecord> GetUserByName(
      absl::string_view user_name) override {
    return real_.GetUserByName(user_name);
  }
  absl::StatusOr<bool> HasUsers() override { return real_.HasUsers(); }
  absl::StatusOr<std::vector<storage::UserRecord>> ListUsers(
      absl::string_view after, int limit) override {
    return real_.ListUsers(after, limit);
  }
  absl::StatusOr<storage::UserRecord> UpdateUser(
      absl::string_view user_id, const UserMutation& mutate, bool revoke,
      const storage::AuditEvents& audit) override {
    if (fail_writes) return Fault();
    return real_.UpdateUser(user_id, mutate, revoke, audit);
  }
  absl::Status DeleteUser(absl::string_view user_id,
                          const storage::AuditEvents& audit) override {
    return Write([&] { return real_.DeleteUser(user_id, audit); });
  }
  absl::Status CreateAccessKey(
      const storage::AccessKeyRecord& key, int max,
      const std::optional<storage::CredentialCheck>& actor,
      const storage::AuditEvents& audit) override {
    return Write([&] { return real_.CreateAccessKey(key, max, actor, audit); });
  }
  absl::StatusOr<storage::AccessKeyRecord> GetAccessKey(
      absl::string_view id) override {
    return real_.GetAccessKey(id);
  }
  absl::StatusOr<std::vector<storage::AccessKeyRecord>> ListAccessKeys(
      absl::string_view user_id) override {
    return real_.ListAccessKeys(user_id);
  }
  absl::StatusOr<std::vector<storage::AccessKeyRecord>> ListAllAccessKeys(
      absl::string_view after, int limit) override {
    return real_.ListAllAccessKeys(after, limit);
  }
  absl::StatusOr<storage::AccessKeyRecord> UpdateAccessKey(
      absl::string_view id, const AccessKeyMutation& mutate,
      const storage::AuditEvents& audit) override {
    if (fail_writes) return Fault();
    return real_.UpdateAccessKey(id, mutate, audit);
  }
  absl::StatusOr<std::vector<std::string>> UpdateAccessKeys(
      const std::vector<std::string>& ids, const AccessKeyBatchMutation& mutate,
      const storage::AuditEvents& audit) override {
    if (hold_batches_until != nullptr) {
      hold_batches_until->WaitForNotification();
    }
    if (fail_writes) return Fault();
    if (fail_batches_halfway && ids.size() > 1) {
      const std::vector<std::string> half(ids.begin(),
                                          ids.begin() + ids.size() / 2);
      (void)real_.UpdateAccessKeys(half, mutate, audit);
      return Fault();
    }
    return real_.UpdateAccessKeys(ids, mutate, audit);
  }
  absl::Status DeleteAccessKey(absl::string_view id,
                               const storage::AuditEvents& audit) override {
    return Write([&] { return real_.DeleteAccessKey(id, audit); });
  }
  absl::StatusOr<storage::LoginAttemptsRecord> GetLoginAttempts(
      absl::string_view name) override {
    return real_.GetLoginAttempts(name);
  }
  absl::StatusOr<storage::LoginAttemptsRecord> UpdateLoginAttempts(
      absl::string_view name, const LoginAttemptsMutation& mutate,
      const storage::AuditEvents& audit) override {
    if (fail_writes) return Fault();
    return real_.UpdateLoginAttempts(name, mutate, audit);
  }
  absl::Status CreateSession(absl::string_view hash,
                             const storage::SessionRecord& session,
                             const storage::CredentialCheck& credentials,
                             int max_sessions,
                             const storage::AuditEvents& audit) override {
    return Write([&] {
      return real_.CreateSession(hash, session, credentials, max_sessions,
                                 audit);
    });
  }
  absl::StatusOr<storage::SessionRecord> GetSession(
      absl::string_view hash) override {
    return real_.GetSession(hash);
  }
  absl::Status DeleteSession(absl::string_view hash) override {
    return Write([&] { return real_.DeleteSession(hash); });
  }
  absl::StatusOr<int> PurgeExpiredSessions(int64_t now) override {
    if (fail_writes) return Fault();
    return real_.PurgeExpiredSessions(now);
  }
  absl::StatusOr<storage::VerificationCodeRecord> GetVerificationCode(
      absl::string_view user_id) override {
    return real_.GetVerificationCode(user_id);
  }
  absl::StatusOr<storage::VerificationCodeRecord> UpdateVerificationCode(
      absl::string_view user_id, const VerificationCodeMutation& mutate,
      const storage::AuditEvents& audit) override {
    if (fail_writes) return Fault();
    return real_.UpdateVerificationCode(user_id, mutate, audit);
  }
  absl::StatusOr<std::vector<storage::AuditEventRecord>> ListAuditEvents(
      const storage::AuditQuery& query) override {
    return real_.ListAuditEvents(query);
  }
  absl::StatusOr<storage::AuditPurgeBatch> PurgeAuditEvents(
      int64_t before_micros, int max_events) override {
    if (fail_writes) return Fault();
    return real_.PurgeAuditEvents(before_micros, max_events);
  }

 private:
  static absl::Status Fault() {
    return absl::UnavailableError("storage: injected write fault");
  }
  template <typename F>
  absl::Status Write(F write) {
    return fail_writes ? Fault() : write();
  }

  storage::Store& real_;
};

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_FAULTY_STORE_H_
