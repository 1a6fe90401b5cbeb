#ifndef IDENTITY_AUTH_SERVICE_PRINCIPALS_H_
#define IDENTITY_AUTH_SERVICE_PRINCIPALS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/principal.h"

namespace identity::auth {

// Internal services that authenticate with a client certificate (mTLS)
// instead of a password: which certificate subject is which service, and
// what it may do. The file has one "<subject> <role>" a line ('#' starts a
// comment), where the subject is the certificate's common name or one of
// its DNS subject alternative names and the role is
//   admin   every RPC, for any user (it counts as having presented a
//           password: a certificate is the stronger credential);
//   reader  the read-only RPCs, for any user;
//   verifier  SignatureService.VerifySignature and nothing else: what a
//           gateway that checks signed requests needs.
class ServicePrincipals {
 public:
  static absl::StatusOr<ServicePrincipals> Parse(absl::string_view text);
  static absl::StatusOr<ServicePrincipals> ReadFile(const std::string& path);

  // The principal of the first of `subjects` (a verified certificate's CN,
  // then its SANs) that the file names; nullopt if none. Its user name is
  // "svc:<subject>", which no user can have.
  std::optional<Principal> Find(const std::vector<std::string>& subjects) const;

  size_t size() const { return roles_.size(); }

 private:
  enum class Role { kAdmin, kReader, kVerifier };
  absl::flat_hash_map<std::string, Role> roles_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SERVICE_PRINCIPALS_H_
