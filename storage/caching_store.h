#ifndef IDENTITY_STORAGE_CACHING_STORE_H_
#define IDENTITY_STORAGE_CACHING_STORE_H_

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "storage/store.h"

namespace identity::storage {

struct CachingStoreOptions {
  // Entries per record kind (sessions, users by id, keys by id, a user's
  // key list); 0 turns that caching off.
  size_t max_entries = 100000;
  // Zero: an entry lives until a write through this store invalidates it,
  // right for a store only this process writes (RocksDB). Positive: also
  // not served once older than this, the bound on how long a change made
  // by another process (an etcd replica) can go unseen here.
  absl::Duration max_age = absl::ZeroDuration();
  // The time entries are aged by; null: a monotonic clock (steady_clock).
  std::function<absl::Time()> now;
};

// A Store that answers the reads of every authenticated call (GetSession,
// GetUserById, GetAccessKey, ListAccessKeys) from memory, in front of
// `inner`, so that a hot record is not read and parsed from the engine on
// every call.
//
// Every change made through it invalidates what it changed before the call
// returns, whatever the call's status (an error may still have committed):
// a session deleted, revoked by UpdateUser(revoke_sessions) or DeleteUser,
// or pushed out by CreateSession's per-user limit; a user updated or
// deleted; a key created, updated or deleted. So a caller that saw a
// revoking call return never reads the revoked record here again (see
// RecordCache for why a racing read cannot put it back). Changes made by
// other processes are seen once entries age past `max_age`. Expiry is not
// this store's business: records are returned as stored and callers
// compare their expiry with the clock, as they do without the cache.
// Thread-safe.
std::unique_ptr<Store> NewCachingStore(std::unique_ptr<Store> inner,
                                       CachingStoreOptions options);

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_CACHING_STORE_H_
