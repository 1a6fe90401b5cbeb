#ifndef IDENTITY_STORAGE_RECORD_CACHE_H_
#define IDENTITY_STORAGE_RECORD_CACHE_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
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
// hit takes only a reader lock).
//
// With `groups_of`, each entry is indexed under the groups it names (a
// session under its user, a key list under each key it holds), so that
// EraseGroup drops a group's entries in time proportional to their number,
// not to the cache's size: a sign-in erases its user's sessions, and a scan
// of 100,000 cached sessions under the writer lock on every sign-in would
// stall every reader. Thread-safe.
template <typename Value>
class RecordCache {
 public:
  using GroupsOf = std::function<std::vector<std::string>(const Value&)>;

  RecordCache(size_t max_entries, absl::Duration max_age,
              GroupsOf groups_of = nullptr)
      : max_entries_(max_entries),
        max_age_(max_age),
        groups_of_(std::move(groups_of)) {}

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
    if (it != entries_.end()) {
      Unindex(it->first, it->second.value);
    } else if (entries_.size() >= max_entries_) {
      Unindex(entries_.begin()->first, entries_.begin()->second.value);
      entries_.erase(entries_.begin());
    }
    Index(key, value);
    entries_.insert_or_assign(std::string(key),
                              Entry{std::move(value), read_at});
  }

  void Erase(absl::string_view key) {
    std::unique_lock lock(mu_);
    ++epoch_;
    EraseLocked(key);
  }

  // Erases every entry indexed under `group` (see groups_of).
  void EraseGroup(absl::string_view group) {
    std::unique_lock lock(mu_);
    ++epoch_;
    auto members = groups_.find(group);
    if (members == groups_.end()) return;
    // Copied: erasing an entry unindexes it from this very set.
    const std::vector<std::string> keys(members->second.begin(),
                                        members->second.end());
    for (const std::string& key : keys) EraseLocked(key);
  }

  // Erases every entry `matches` holds true for; for changes whose keys
  // the writer does not know (a user's sessions, a deleted key's list).
  void EraseIf(const std::function<bool(const Value&)>& matches) {
    std::unique_lock lock(mu_);
    ++epoch_;
    absl::erase_if(entries_, [&](const auto& entry) {
      if (!matches(entry.second.value)) return false;
      Unindex(entry.first, entry.second.value);
      return true;
    });
  }

  size_t size() const {
    std::shared_lock lock(mu_);
    return entries_.size();
  }

  // Groups indexed (for tests: no group outlives its last entry).
  size_t group_count() const {
    std::shared_lock lock(mu_);
    return groups_.size();
  }

 private:
  struct Entry {
    Value value;
    absl::Time read_at;
  };

  // The three below need mu_ held exclusively.
  void EraseLocked(absl::string_view key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    Unindex(it->first, it->second.value);
    entries_.erase(it);
  }
  void Index(absl::string_view key, const Value& value) {
    if (groups_of_ == nullptr) return;
    for (std::string& group : groups_of_(value)) {
      groups_[std::move(group)].insert(std::string(key));
    }
  }
  void Unindex(absl::string_view key, const Value& value) {
    if (groups_of_ == nullptr) return;
    for (const std::string& group : groups_of_(value)) {
      auto members = groups_.find(group);
      if (members == groups_.end()) continue;
      members->second.erase(key);
      if (members->second.empty()) groups_.erase(members);
    }
  }

  const size_t max_entries_;
  const absl::Duration max_age_;
  const GroupsOf groups_of_;
  // std::shared_mutex rather than absl::Mutex: ThreadSanitizer sees
  // pthread locks but not Debian's uninstrumented Abseil's, and the cache
  // sits under every store test it runs. Guards epoch_ and entries_.
  mutable std::shared_mutex mu_;
  uint64_t epoch_ = 0;
  absl::flat_hash_map<std::string, Entry> entries_;
  // Group -> the keys of the entries indexed under it.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> groups_;
};

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_RECORD_CACHE_H_
