#ifndef IDENTITY_AUTH_PRINCIPAL_H_
#define IDENTITY_AUTH_PRINCIPAL_H_

#include <optional>
#include <string>
#include <vector>

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
  // A service allowed only SignatureService.VerifySignature (role
  // "verifier" in service_principals.h).
  bool verifier = false;
};

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
