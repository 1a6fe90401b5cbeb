#ifndef IDENTITY_SERVICE_CONNECTION_RELAY_H_
#define IDENTITY_SERVICE_CONNECTION_RELAY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/logger.h"

namespace identity::service {

struct ConnectionRelayOptions {
  // Where clients connect (host:port; port 0 picks a free one).
  std::string listen_address;
  // gRPC's own listener, on 127.0.0.1: every accepted connection is relayed
  // there.
  int backend_port = 0;
  // Client connections held at once; one more is accepted and closed at
  // once (so it fails fast instead of waiting in the backlog).
  int max_connections = 1024;
  // Plaintext only: read the HTTP/2 frame headers passing through and
  // close a connection that breaks the limits below. Over TLS the bytes
  // are opaque and only the connection limit applies.
  bool inspect_http2 = true;
  // Streams a client may hold open on one connection: gRPC advertises the
  // same number (MAX_CONCURRENT_STREAMS), but gRPC 1.51 only enforces it
  // once the client acknowledged its SETTINGS, which an attacker never
  // does.
  int max_streams_per_connection = 100;
  // Streams open across every connection; when exceeded, the connection
  // holding the most is closed.
  int max_open_streams = 4096;
  // RST_STREAM frames a client may send per second on one connection,
  // and ten times that over all connections: rapid reset, CVE-2023-44487.
  int max_resets_per_second = 100;
};

// The front door of identityd: our own accept loop in front of gRPC's.
//
// gRPC 1.51's listener stops accepting for good after one EMFILE, has no
// connection limit and no HTTP/2 stream limit before the SETTINGS ACK, and
// so one client could take the process's descriptors or gigabytes of
// memory. This relay accepts, keeps a descriptor in reserve to shed
// connections when the process is out of them, caps connections, checks
// HTTP/2 framing on plaintext connections before gRPC sees a byte, and
// relays each connection to gRPC's loopback listener (three descriptors a
// connection: the client's, ours to gRPC, gRPC's).
//
// One thread (epoll); every buffer is bounded (64 KiB each way a
// connection). Thread-safe.
class ConnectionRelay {
 public:
  struct Stats {
    int connections = 0;
    uint64_t accepted = 0;
    uint64_t refused_at_limit = 0;
    uint64_t shed_out_of_descriptors = 0;
    uint64_t closed_for_streams = 0;
    uint64_t closed_for_resets = 0;
    uint64_t closed_for_framing = 0;
    int open_streams = 0;
  };

  static absl::StatusOr<std::unique_ptr<ConnectionRelay>> Start(
      const ConnectionRelayOptions& options, Logger& logger);

  ~ConnectionRelay();

  // The port clients connect to.
  int port() const { return port_; }

  // The client's address ("ipv4:203.0.113.5:40000") for gRPC's peer of a
  // relayed connection ("ipv4:127.0.0.1:<our port>"); any other peer as is.
  std::string ClientPeer(absl::string_view grpc_peer) const;

  Stats stats() const;

  // Closes the listener and every connection; idempotent.
  void Stop();

 private:
  struct Connection;
  struct Endpoint;
  struct TokenBucket {
    double tokens = 0;
    absl::Time refilled = absl::InfinitePast();
  };
  // Refills `bucket` at `rate` a second up to `burst`, then takes one token
  // if there is one.
  static bool TakeToken(TokenBucket& bucket, double rate, double burst,
                        absl::Time now);

  ConnectionRelay(const ConnectionRelayOptions& options, Logger& logger);

  absl::Status Listen();
  void Loop();
  void AcceptAll();
  void Open(int client_fd, const std::string& client_peer);
  void Service(Endpoint& endpoint, uint32_t events);
  // False if the connection was closed.
  bool Pump(Connection& connection);
  void UpdateInterest(Connection& connection);
  // Inspects bytes read from the client / gRPC; a non-empty result is why
  // the connection must be closed.
  const char* InspectFromClient(Connection& connection, const char* data,
                                size_t size);
  void InspectFromServer(Connection& connection, const char* data, size_t size);
  void Close(Connection& connection, const char* reason);
  // Over the total stream limit: closes the connection holding the most
  // streams, unless that is `current` (then returns true: the caller closes
  // it).
  bool EvictLargest(Connection& current);

  const ConnectionRelayOptions options_;
  Logger& logger_;
  int port_ = 0;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  // Closed to make room for one accept() when the process is out of
  // descriptors, so the pending connection can be shed instead of staying
  // in the backlog forever.
  int reserve_fd_ = -1;
  std::thread thread_;
  bool stopped_ = false;

  // Owned by the loop thread.
  absl::flat_hash_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> graveyard_;
  int open_streams_ = 0;
  TokenBucket all_resets_;
  uint64_t closed_logged_ = 0;

  mutable absl::Mutex mu_;
  // Our local port towards gRPC -> the client's peer string.
  absl::flat_hash_map<int, std::string> peers_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_CONNECTION_RELAY_H_
