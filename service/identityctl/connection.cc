#include "service/identityctl/connection.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace identity::identityctl {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read --", flag, " ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(
    const ConnectionOptions& options) {
  grpc::ChannelArguments args;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls_ca_file.empty()) {
    if (options.uses_client_certificate()) {
      return absl::InvalidArgumentError(
          "--tls-cert needs --tls-ca: a client certificate is only sent over "
          "TLS");
    }
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    absl::StatusOr<std::string> ca = ReadPem(options.tls_ca_file, "tls-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
    if (options.uses_client_certificate() != !options.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    if (options.uses_client_certificate()) {
      absl::StatusOr<std::string> cert =
          ReadPem(options.tls_cert_file, "tls-cert");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key =
          ReadPem(options.tls_key_file, "tls-key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  return grpc::CreateCustomChannel(options.server, credentials, args);
}

}  // namespace identity::identityctl
