#ifndef IDENTITY_AUTH_SECRET_REWRAP_H_
#define IDENTITY_AUTH_SECRET_REWRAP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/clock.h"
#include "auth/principal.h"
#include "auth/secret_sealer.h"
#include "storage/store.h"

namespace identity::auth {

struct SecretRewrapOptions {
  // Access keys (and users) read from the store at a time; each batch of
  // keys is re-sealed in as few transactions as the engine allows.
  int batch_size = 500;
  // Count only: open nothing for writing, change nothing, write no event.
  // What `identityctl kek status` and `identityd rewrap --dry_run` show.
  bool dry_run = false;
  // Open the secrets already under the sealing KEK too (they are counted
  // current without it): proves every secret opens with the first KEK
  // line alone, before the others are removed from the file.
  bool verify_current = false;
  // Secrets that failed to open named in the result at most (the counts
  // are always complete).
  int max_failures_listed = 100;
};

// What one run found and did. Ids are not secret; nothing here is.
struct SecretRewrapResult {
  // The KEK every secret is re-sealed under: the first line of the file.
  std::string sealing_kek_id;
  int64_t access_keys_seen = 0;
  int64_t mfa_secrets_seen = 0;
  // Re-sealed by this run (in a dry run: would be).
  int64_t resealed = 0;
  // Already sealed under the sealing KEK.
  int64_t already_current = 0;
  // Changed or deleted by someone else between the read and the write
  // (another run, a key deleted); what they hold now is counted below.
  int64_t changed_concurrently = 0;
  // Never rewritten, fail closed: sealed under a KEK id this server does
  // not have, or a ciphertext that does not authenticate (tampered, or
  // moved from another record).
  int64_t failed_unknown_kek = 0;
  int64_t failed_does_not_open = 0;
  // "access key <id>: ..." / "mfa secret of user <id>: ...", the first
  // max_failures_listed.
  std::vector<std::string> failures;
  // Secrets by the KEK id they are sealed under once the run is over,
  // the sealing KEK included. An old KEK line can go once its id is
  // absent here (and no replica still seals with it).
  std::map<std::string, int64_t> secrets_by_kek;
  // False when the run stopped early (Cancel, or a store error).
  bool complete = false;
  // Wall time, not the injected clock's: the run's throughput.
  absl::Duration elapsed;

  int64_t failed() const { return failed_unknown_kek + failed_does_not_open; }
  // KEK ids other than the sealing one that still seal a secret.
  std::vector<std::string> old_keks_in_use() const;
};

// Re-seals every stored secret (access keys' secret access keys, users'
// TOTP seeds) under the sealing KEK, so that an old KEK line can be
// removed from the file.
//
// Walks every access key and every user in pages of options.batch_size.
// A secret sealed under an older KEK is opened, sealed again under the
// sealing KEK, and written in a transaction that re-reads the record and
// replaces the sealed form only if it is still the one opened: a
// concurrent change, or another run on another replica, is never
// overwritten, and a record's other fields (last use, status) are kept
// as the transaction finds them. That makes a run idempotent, so it is
// resumable by running it again: after a crash the next run skips what
// is already current. A secret that does not open (an unknown KEK id, a
// tampered ciphertext) is never rewritten: it is counted and named in the
// result and the run goes on (fail closed).
//
// Plaintext secrets live only on the stack of one batch and are wiped.
// Thread-safe; runs may overlap (the re-read makes that safe).
class SecretRewrap {
 public:
  SecretRewrap(storage::Store& store, const SecretSealer& sealer,
               const Clock& clock);

  SecretRewrap(const SecretRewrap&) = delete;
  SecretRewrap& operator=(const SecretRewrap&) = delete;

  // Called after each batch with the counts so far (for a status RPC).
  using ProgressCallback = std::function<void(const SecretRewrapResult&)>;

  // One pass over every secret. Unless a dry run, writes one
  // SECRETS_REWRAPPED audit event by `actor` with the counts. A store error
  // ends the run and is returned (a rerun picks up where it stopped).
  absl::StatusOr<SecretRewrapResult> Run(const Principal& actor,
                                         const SecretRewrapOptions& options,
                                         const ProgressCallback& progress = {});

  // Makes a run in progress, and any later one, stop after its current
  // batch (server shutdown); it returns its counts with complete = false.
  void Cancel() { cancelled_ = true; }

 private:
  // A secret opened and sealed again, waiting for its write.
  struct Resealed {
    storage::SealedSecret old_sealed;
    storage::SealedSecret new_sealed;
  };
  // Outcome of looking at one sealed secret: nothing to write (current,
  // failed to open, a dry run), or a fresh sealed form to write.
  enum class Look { kCurrent, kLeft, kResealed };

  // Counts `sealed` in `result`; an error only if sealing anew failed.
  absl::StatusOr<Look> Examine(absl::string_view associated_data,
                               absl::string_view what,
                               const storage::SealedSecret& sealed,
                               const SecretRewrapOptions& options,
                               SecretRewrapResult& result,
                               storage::SealedSecret* resealed);
  absl::Status RewrapAccessKeys(const SecretRewrapOptions& options,
                                SecretRewrapResult& result,
                                const ProgressCallback& progress);
  absl::Status WriteAccessKeys(const std::map<std::string, Resealed>& pending,
                               SecretRewrapResult& result);
  absl::Status RewrapMfaSecrets(const SecretRewrapOptions& options,
                                SecretRewrapResult& result,
                                const ProgressCallback& progress);
  absl::Status WriteAuditEvent(const Principal& actor,
                               const SecretRewrapResult& result);

  storage::Store& store_;
  const SecretSealer& sealer_;
  const Clock& clock_;
  std::atomic<bool> cancelled_{false};
};

// The result as one line of "key=value" pairs, for the audit detail and
// the log: counts and KEK ids only.
std::string SecretRewrapSummary(const SecretRewrapResult& result);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SECRET_REWRAP_H_
