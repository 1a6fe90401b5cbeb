#ifndef IDENTITY_STORAGE_STORE_H_
#define IDENTITY_STORAGE_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.pb.h"

namespace identity::storage {

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
// Implementations are safe for concurrent use from multiple threads.
class Store {
 public:
  virtual ~Store() = default;

  // Adds a user. AlreadyExists if the user name or user id is taken.
  virtual absl::Status CreateUser(const UserRecord& user) = 0;
  virtual absl::StatusOr<UserRecord> GetUserById(absl::string_view user_id) = 0;
  virtual absl::StatusOr<UserRecord> GetUserByName(
      absl::string_view user_name) = 0;
  // True once any user exists: a fresh store has none.
  virtual absl::StatusOr<bool> HasUsers() = 0;

  // Adds `key` for key.user_id() atomically with the count of that user's
  // keys: FailedPrecondition if the user already holds `max_keys_per_user`
  // keys (any status), NotFound if the user does not exist, AlreadyExists if
  // the access key id is taken. Holds however many callers race.
  virtual absl::Status CreateAccessKey(const AccessKeyRecord& key,
                                       int max_keys_per_user) = 0;
  virtual absl::StatusOr<AccessKeyRecord> GetAccessKey(
      absl::string_view access_key_id) = 0;
  // The user's keys, oldest first (ties broken by id).
  virtual absl::StatusOr<std::vector<AccessKeyRecord>> ListAccessKeys(
      absl::string_view user_id) = 0;
};

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_STORE_H_
