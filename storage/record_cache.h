#ifndef IDENTITY_STORAGE_RECORD_CACHE_H_
#define IDENTITY_STORAGE_RECORD_CACHE_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace identity::storage {

// A bounded map from a key to a copy of a record read from the store, for
// CachingStore. The rule that keeps it from ever holding a record older
// than a write that returned: a reader takes the cache's epoch BEFORE it
// reads the store, and its result is kept only if no invalidation ran
// since (each invalidation bumps the epoch). A writer invalidates AFTER its
// change committed. So either the reader's store read saw the change, or
// an invalidation ran after the reader's epoch was taken and its value is
// dropped; a value kept before the invalidation is erased by it.
//
// Entries older than `max_age` (when positive) are not served: the bound
// on staleness where other processes write the same store unseen.
// When full, an arbitrary entry makes room (no recency bookkeeping, so a
// hit takes only a reader lock). Thread-safe.
template <typename Value>
class RecordCache {
 public:
  RecordCache(size_t max_entries, absl::Duration max_age)
      : max_entries_(max_entries), max_age_(max_age) {}

  // Taken before the store read whose result goes to Insert.
  uint64_t Epoch() const {
    std::shared_lock lock(mu_);
    return epoch_;
  }

  std::optional<Value> Find(absl::string_view key, absl::Time now) const {
    std::shared_lock lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (max_age_ > absl::ZeroDuration() &&
        now - it->second.read_at > max_age_) {
      return std::nullopt;
    }
    return it->second.value;
  }

  // Keeps `value`, read at `read_at` after Epoch() returned `epoch`, unless
  // something was invalidated meanwhile.
  void Insert(absl::string_view key, Value value, uint64_t epoch,
              absl::Time read_at) {
    if (max_entries_ == 0) return;
    std::unique_lock lock(mu_);
    if (epoch != epoch_) return;
    auto it = entries_.find(key);
    if (it == entries_.end() && entries_.size() >= max_entries_) {
      entries_.erase(entries_.begin());
    }
    entries_.insert_or_assign(std::string(key),
                              Entry{std::move(value), read_at});
  }

  void Erase(absl::string_view key) {
    std::unique_lock lock(mu_);
    ++epoch_;
    entries_.erase(key);
  }

  // Erases every entry `matches` holds true for; for changes whose keys
  // the writer does not know (a user's sessions, a deleted key's list).
  void EraseIf(const std::function<bool(const Value&)>& matches) {
    std::unique_lock lock(mu_);
    ++epoch_;
    absl::erase_if(entries_, [&](const auto& entry) {
      return matches(entry.second.value);
    });
  }

  size_t size() const {
    std::shared_lock lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    Value value;
    absl::Time read_at;
  };

  const size_t max_entries_;
  const absl::Duration max_age_;
  // std::shared_mutex rather than absl::Mutex: ThreadSanitizer sees
  // pthread locks but not Debian's uninstrumented Abseil's, and the cache
  // sits under every store test it runs. Guards epoch_ and entries_.
  mutable std::shared_mutex mu_;
  uint64_t epoch_ = 0;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_RECORD_CACHE_H_
