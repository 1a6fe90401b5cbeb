#ifndef IDENTITY_SERVICE_HOST_REWRAP_H_
#define IDENTITY_SERVICE_HOST_REWRAP_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/secret_rewrap.h"

namespace identity::service {

// Where `identityd rewrap` finds the store and the KEK file: the same flags
// identityd runs with. Exactly one of data_dir and etcd_endpoints.
struct HostRewrapConfig {
  std::string data_dir;
  std::vector<std::string> etcd_endpoints;
  std::string etcd_prefix = "/identity/";
  std::string etcd_ca_file;
  std::string etcd_cert_file;
  std::string etcd_key_file;
  std::string master_key_file;
  auth::SecretRewrapOptions options;
};

// `identityd rewrap`: re-seals every stored secret under the first line of
// the KEK file (see auth/secret_rewrap.h), on the host, for the operator.
// With data_dir it opens the RocksDB store directly, so identityd must be
// stopped (RocksDB allows one process; the RewrapSecrets RPC is the online
// way there); with etcd_endpoints it runs beside serving replicas. Safe to
// kill at any moment and run again. Audited as the actor
// "host:identityd-rewrap". `progress` sees the counts after each batch.
absl::StatusOr<auth::SecretRewrapResult> RewrapOnHost(
    const HostRewrapConfig& config,
    const auth::SecretRewrap::ProgressCallback& progress = {});

// The operator's report of a run, several lines: counts, throughput, the
// KEK ids still in use and what that means for the KEK file, the secrets
// that failed to open. Never a secret.
std::string FormatRewrapReport(const auth::SecretRewrapResult& result,
                               bool dry_run);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_HOST_REWRAP_H_
