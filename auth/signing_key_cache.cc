#include "auth/signing_key_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/crypto.h"

namespace identity::auth {

SigningKeyCache::SigningKeyCache(size_t max_entries)
    : max_entries_(max_entries) {}

SigningKeyCache::~SigningKeyCache() {
  absl::MutexLock lock(&mu_);
  for (auto& [name, entry] : entries_) crypto::Cleanse(entry.signing_key);
}

bool SigningKeyCache::SealedAs(const Entry& entry,
                               const storage::SealedSecret& sealed) {
  return entry.ciphertext == sealed.ciphertext() &&
         entry.nonce == sealed.nonce() && entry.kek_id == sealed.kek_id();
}

void SigningKeyCache::Erase(
    absl::flat_hash_map<std::string, Entry>::iterator it) {
  crypto::Cleanse(it->second.signing_key);
  recency_.erase(it->second.recency);
  entries_.erase(it);
}

namespace {

std::string EntryName(absl::string_view access_key_id,
                      absl::string_view scope) {
  return absl::StrCat(access_key_id, absl::string_view("\0", 1), scope);
}

}  // namespace

std::optional<std::string> SigningKeyCache::Find(
    absl::string_view access_key_id, const storage::SealedSecret& sealed,
    absl::string_view scope) {
  const std::string name = EntryName(access_key_id, scope);
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  if (!SealedAs(it->second, sealed)) {
    Erase(it);  // re-sealed or re-created: the old secret is gone
    return std::nullopt;
  }
  recency_.splice(recency_.begin(), recency_, it->second.recency);
  return it->second.signing_key;
}

void SigningKeyCache::Insert(absl::string_view access_key_id,
                             const storage::SealedSecret& sealed,
                             absl::string_view scope,
                             absl::string_view signing_key) {
  if (max_entries_ == 0) return;
  std::string name = EntryName(access_key_id, scope);
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it != entries_.end()) Erase(it);  // a racing insert, or re-sealed
  while (entries_.size() >= max_entries_) {
    Erase(entries_.find(recency_.back()));
  }
  recency_.push_front(name);
  Entry entry{sealed.kek_id(), sealed.nonce(), sealed.ciphertext(),
              std::string(signing_key), recency_.begin()};
  entries_.emplace(std::move(name), std::move(entry));
}

size_t SigningKeyCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace identity::auth
