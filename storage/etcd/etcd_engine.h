#ifndef IDENTITY_STORAGE_ETCD_ETCD_ENGINE_H_
#define IDENTITY_STORAGE_ETCD_ETCD_ENGINE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/kv_engine.h"
#include "storage/store.h"

namespace identity::storage {

struct EtcdEngineOptions {
  // host:port of each member (an http:// or https:// in front is ignored);
  // calls fail over from one to the next.
  std::vector<std::string> endpoints;
  // Every key lives under it: <prefix><space>/<key>.
  std::string prefix = "/identity/";
  // etcd's client TLS, PEM files: the CA that signed the members'
  // certificates, and this client's certificate and key (both or neither).
  // No CA: plaintext.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Deadline of one RPC; a read is tried on the other members until
  // `operation_timeout`, so without quorum a call answers Unavailable after
  // at most that long.
  absl::Duration rpc_timeout = absl::Seconds(2);
  absl::Duration operation_timeout = absl::Seconds(5);
  // etcd's --max-txn-ops (128 by default).
  int max_txn_ops = 128;
};

// An optimistic engine on etcd v3's gRPC API, as etcd's own STM: every read
// of a transaction is served at one revision (the first read's); each
// GetForUpdate remembers the key's mod_revision (0: absent); the commit is
// one Txn whose compares check them all and whose success branch holds the
// writes. A failed compare reruns the whole body (bounded). A Txn whose
// outcome is unknown (the member died, the deadline passed) is never
// replayed: it answers Unavailable.
absl::StatusOr<std::unique_ptr<KvEngine>> OpenEtcdEngine(
    const EtcdEngineOptions& options);

// The Store on etcd: the layout of kv_store.h on OpenEtcdEngine.
absl::StatusOr<std::unique_ptr<Store>> OpenEtcdStore(
    const EtcdEngineOptions& options,
    std::function<void(const AuditEventRecord&)> audit_observer);

}  // namespace identity::storage

#endif  // IDENTITY_STORAGE_ETCD_ETCD_ENGINE_H_
