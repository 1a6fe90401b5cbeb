#ifndef IDENTITY_AUTH_PRINCIPAL_H_
#define IDENTITY_AUTH_PRINCIPAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "storage/store.h"

namespace identity::auth {

// Who is calling, once their credentials have been checked.
struct Principal {
  std::string user_id;
  std::string user_name;
  bool is_admin = false;
  // True when this call presented the password (Basic), not a session:
  // minting access keys and changing one's own password demand it.
  bool password_verified = false;
  // SHA-256 of the session token this call presented (Bearer); empty for
  // Basic. Enough to end the session, useless to start one.
  std::string session_token_hash;
  // Where the call came from (an IP address, no port); empty if unknown.
  // For the audit trail.
  std::string client_address;
  // A service allowed only the read-only RPCs (see service_principals.h).
  bool read_only = false;
  // The user's credential version when their password or session was
  // checked; a session or key is committed only while it still holds (see
  // storage::CredentialCheck). Meaningless for a service (empty user_id is
  // never a user, and services carry is_service).
  int64_t credential_version = 0;
  // A service principal (mTLS), not a user.
  bool is_service = false;
  // A service allowed only SignatureService.VerifySignature (role
  // "verifier" in service_principals.h).
  bool verifier = false;
};

// The single message of every failed credential check.
inline constexpr absl::string_view kInvalidCredentialsMessage =
    "invalid user name or password";

// What a change made on `principal`'s behalf must find still true in its
// transaction; nullopt for a service, whose certificate is not revoked by
// any change to a user.
inline std::optional<storage::CredentialCheck> CredentialCheckOf(
    const Principal& principal) {
  if (principal.is_service) return std::nullopt;
  return storage::CredentialCheck{principal.user_id,
                                  principal.credential_version};
}

// What a caller presented, parsed from gRPC metadata by the service layer.
// Holds secrets: never log it.
struct Credentials {
  struct Password {
    std::string user_name;
    std::string password;
  };
  std::optional<Password> password;              // authorization: Basic
  std::optional<std::string> bearer_token;       // authorization: Bearer
  std::optional<std::string> verification_code;  // x-verification-code
  // Where the call came from (an IP address, no port); empty if unknown.
  // Not a credential: it feeds the per-address failure limit.
  std::string client_address;
  // The common name and DNS SANs of a client certificate the TLS layer
  // verified (mTLS); empty without one.
  std::vector<std::string> certificate_subjects;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_PRINCIPAL_H_
