#ifndef IDENTITY_SERVICE_IDENTITYCTL_CONNECTION_H_
#define IDENTITY_SERVICE_IDENTITYCTL_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace identity::identityctl {

// Where identityd is and how to reach it.
struct ConnectionOptions {
  std::string server = "127.0.0.1:50051";
  // With a CA bundle the channel is TLS, and the server's certificate must
  // chain to it; with a client certificate and key as well, it is mTLS.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // The name the server certificate must carry, when not the --server host.
  std::string tls_server_name;
  absl::Duration timeout = absl::Seconds(30);

  bool uses_client_certificate() const { return !tls_cert_file.empty(); }
  bool uses_tls() const { return !tls_ca_file.empty(); }
};

// A channel per the options; plaintext without a CA bundle. Files that
// cannot be read are errors naming the flag.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(
    const ConnectionOptions& options);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_CONNECTION_H_
