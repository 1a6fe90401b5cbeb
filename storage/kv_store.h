#ifndef IDENTITY_STORAGE_KV_STORE_H_
#define IDENTITY_STORAGE_KV_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/kv_engine.h"
#include "storage/store.h"

namespace identity::storage {

// The record layout: one key space per record kind. On RocksDB each space
// is a column family, on etcd a key prefix (<prefix><space>/).
inline constexpr const char* kUsersSpace = "users";
inline constexpr const char* kUserNamesSpace = "user_names";
inline constexpr const char* kAccessKeysSpace = "access_keys";
inline constexpr const char* kUserAccessKeysSpace = "user_access_keys";
inline constexpr const char* kSessionsSpace = "sessions";
inline constexpr const char* kVerificationCodesSpace = "verification_codes";
inline constexpr const char* kAuditSpace = "audit";
// One key per enabled admin (its user id) and the admins guard key, which
// every change to the set of enabled admins reads-for-update and writes.
inline constexpr const char* kAdminsSpace = "admins";
inline constexpr const char* kLoginAttemptsSpace = "login_attempts";

// Every space of the layout.
std::vector<std::string> AllSpaces();

// The Store, written once over any KvEngine: key prefixes, indexes, and the
// invariants, each behind a guard key that every transaction touching it
// reads-for-update and writes:
// - a user's key count, session set and credential version: the user
//   record (rewritten unchanged where nothing else changes);
// - the last-admin rule: the admins guard key;
// - a unique user name: its user_names key; a unique key id: its key.
// `audit_observer` (may be empty) sees each event once its change has
// committed, on the writing thread.
std::unique_ptr<Store> NewKvStore(
    std::unique_ptr<KvEngine> engine,
    std::function<void(const AuditEventRecord&)> audit_observer);

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_KV_STORE_H_
