#ifndef IDENTITY_AUTH_SIGNATURE_VERIFIER_H_
#define IDENTITY_AUTH_SIGNATURE_VERIFIER_H_

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "auth/clock.h"
#include "auth/last_use_recorder.h"
#include "auth/principal.h"
#include "auth/secret_sealer.h"
#include "auth/signature_check.h"
#include "auth/signed_request.h"
#include "auth/signing_key_cache.h"
#include "storage/store.h"

namespace identity::auth {

// Checks requests signed with an access key on behalf of the services that
// received them, which never see the secret: the verdict says whether the
// signature is authentic and whose key made it.
//
// Freshness: each verification reads the key and its owner from the store
// (served from memory by storage/caching_store.h, which every change made
// through it invalidates before returning; with etcd, copies are also at
// most 500 ms old) and opens the sealed secret, so a key deactivated or
// deleted, or an owner disabled, stops verifying at once on the replica
// that made the change and within a second on the others (and a
// reactivated key verifies again as soon). The key a signature is computed
// with (the secret for V2, the day's derived key for SigV4) is kept in a
// bounded SigningKeyCache, consulted only after those checks passed, and
// wiped when evicted; every other copy lives only for the call and is
// cleansed after it.
//
// Thread-safe; Verify does only reads (the last-use write is queued).
class SignatureVerifier {
 public:
  // `last_use` may be null (nothing recorded). `signing_key_cache_entries`
  // bounds the SigningKeyCache; 0: none (every call opens the secret).
  SignatureVerifier(storage::Store& store, const SecretSealer& sealer,
                    const Clock& clock, LastUseRecorder* last_use,
                    SignatureCheckOptions options = {},
                    size_t signing_key_cache_entries = 0);

  // A verdict for `request` (valid or with an S3/OBS error code). Errors
  // are only for the caller's own problems: PermissionDenied unless the
  // caller is an admin with full rights or a verifier service;
  // InvalidArgument for a request the gateway must fix (payload_sha256);
  // Unavailable when the store cannot be read.
  absl::StatusOr<SignatureVerdict> Verify(const Principal& caller,
                                          const SignedRequest& request) const;

  // Signing keys held in the cache now (0 without one).
  size_t cached_signing_keys() const {
    return signing_keys_ != nullptr ? signing_keys_->size() : 0;
  }

 private:
  storage::Store& store_;
  const SecretSealer& sealer_;
  const Clock& clock_;
  LastUseRecorder* const last_use_;
  const SignatureCheckOptions options_;
  const std::unique_ptr<SigningKeyCache> signing_keys_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SIGNATURE_VERIFIER_H_
