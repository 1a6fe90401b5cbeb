#ifndef IDENTITY_AUTH_SIGNING_KEY_CACHE_H_
#define IDENTITY_AUTH_SIGNING_KEY_CACHE_H_

#include <cstddef>
#include <list>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/records.pb.h"

namespace identity::auth {

// The keys signatures were last computed with, so that verifying a request
// from a busy access key neither opens its sealed secret (AES-GCM) nor
// derives the SigV4 key for the day, region and service (four HMACs) again.
// An entry is the secret itself (V2) or one derived key (SigV4), for one
// access key, one scope and one sealed form of the secret: a re-sealed
// (rewrapped) or re-created secret does not match and is opened afresh.
//
// What it does not decide: whether the key may verify. The verifier reads
// the key and its owner from the store on every call, before asking here,
// so deactivation, deletion and a disabled owner take effect as before.
//
// Bounded to `max_entries` (least recently used goes first; 0 keeps
// nothing); every value is wiped (crypto::Cleanse) when evicted, replaced,
// or the cache is destroyed.
// A deleted key's entry stays (unused: its record is gone) until evicted.
// Thread-safe.
class SigningKeyCache {
 public:
  explicit SigningKeyCache(size_t max_entries);
  ~SigningKeyCache();
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;

  // The signing key of `access_key_id` sealed as `sealed` in `scope` ("" for
  // V2; "date/region/service" for SigV4), if kept: a copy the caller must
  // cleanse. An entry kept for another sealed form is dropped.
  std::optional<std::string> Find(absl::string_view access_key_id,
                                  const storage::SealedSecret& sealed,
                                  absl::string_view scope);

  // Keeps `signing_key`. The verifier calls it only after a signature made
  // with it matched, so requests with forged signatures (which anyone who
  // knows a key id can send, in any scope) cannot push out the keys of
  // real clients.
  void Insert(absl::string_view access_key_id,
              const storage::SealedSecret& sealed, absl::string_view scope,
              absl::string_view signing_key);

  size_t size() const;

 private:
  struct Entry {
    std::string kek_id;
    std::string nonce;
    std::string ciphertext;
    std::string signing_key;
    std::list<std::string>::iterator recency;
  };
  static bool SealedAs(const Entry& entry, const storage::SealedSecret& sealed);
  void Erase(absl::flat_hash_map<std::string, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_entries_;
  mutable absl::Mutex mu_;
  // access key id + '\0' + scope.
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Most recently used first.
  std::list<std::string> recency_ ABSL_GUARDED_BY(mu_);
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SIGNING_KEY_CACHE_H_
