#ifndef IDENTITY_SERVICE_IDENTITYCTL_CALL_AUTHORIZER_H_
#define IDENTITY_SERVICE_IDENTITYCTL_CALL_AUTHORIZER_H_

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/identityctl/saved_session.h"

namespace identity::identityctl {

// What a call must prove. Minting keys, signing in and changing one's own
// password demand the password; everything else takes a saved session.
enum class Proof { kPassword, kSessionOrPassword };

struct AuthorizerOptions {
  std::string server;
  // --user (or $IDENTITY_USER): whom to sign in as.
  std::string user_name;
  std::string password_file;
  // --code: x-verification-code for accounts with a second factor.
  std::string verification_code;
  std::string session_file;
  // With a client certificate and no user, calls carry no password or
  // token: the certificate is the credential (a service principal).
  bool has_client_certificate = false;
  absl::Duration timeout = absl::Seconds(30);
};

// Puts the caller's credentials on each call: a saved session's token
// (authorization: Bearer) when one fits, else the user's password
// (authorization: Basic), asked for once per run and wiped at the end.
class CallAuthorizer {
 public:
  explicit CallAuthorizer(AuthorizerOptions options);
  ~CallAuthorizer();

  // Sets the deadline and the credentials `proof` calls for.
  absl::Status Authorize(grpc::ClientContext& context, Proof proof);

  // The user calls act for: --user, else the saved session's.
  std::string user_name() const;
  const AuthorizerOptions& options() const { return options_; }
  // A code typed at a prompt, for the calls that follow (the same run).
  void set_verification_code(std::string code);

 private:
  absl::Status AddPassword(grpc::ClientContext& context,
                           const std::string& user_name);

  AuthorizerOptions options_;
  std::optional<SavedSession> session_;
  std::optional<std::string> password_;
};

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_CALL_AUTHORIZER_H_
