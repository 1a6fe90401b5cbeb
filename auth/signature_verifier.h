#ifndef IDENTITY_AUTH_SIGNATURE_VERIFIER_H_
#define IDENTITY_AUTH_SIGNATURE_VERIFIER_H_

#include "absl/status/statusor.h"
#include "auth/clock.h"
#include "auth/last_use_recorder.h"
#include "auth/principal.h"
#include "auth/secret_sealer.h"
#include "auth/signature_check.h"
#include "auth/signed_request.h"
#include "storage/store.h"

namespace identity::auth {

// Checks requests signed with an access key on behalf of the services that
// received them, which never see the secret: the verdict says whether the
// signature is authentic and whose key made it.
//
// Freshness: nothing is cached. Each verification reads the key and its
// owner from the store and opens the sealed secret, so a key deactivated or
// deleted, or an owner disabled, stops verifying as soon as that change is
// committed (and a reactivated key verifies again as soon), on every replica
// that reads the same store. The secret lives only for the call and is
// cleansed after it.
//
// Thread-safe; Verify does only reads (the last-use write is queued).
class SignatureVerifier {
 public:
  // `last_use` may be null (nothing recorded).
  SignatureVerifier(storage::Store& store, const SecretSealer& sealer,
                    const Clock& clock, LastUseRecorder* last_use,
                    SignatureCheckOptions options = {});

  // A verdict for `request` (valid or with an S3/OBS error code). Errors
  // are only for the caller's own problems: PermissionDenied unless the
  // caller is an admin with full rights or a verifier service;
  // InvalidArgument for a request the gateway must fix (payload_sha256);
  // Unavailable when the store cannot be read.
  absl::StatusOr<SignatureVerdict> Verify(const Principal& caller,
                                          const SignedRequest& request) const;

 private:
  storage::Store& store_;
  const SecretSealer& sealer_;
  const Clock& clock_;
  LastUseRecorder* const last_use_;
  const SignatureCheckOptions options_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SIGNATURE_VERIFIER_H_
