#ifndef IDENTITY_SERVICE_CONNECTION_RELAY_H_
#define IDENTITY_SERVICE_CONNECTION_RELAY_H_

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/logger.h"
#include "service/tls_termination.h"

namespace identity::service {

struct ConnectionRelayOptions {
  // Where clients connect (host:port; port 0 picks a free one).
  std::string listen_address;
  // Hands gRPC the server side of a relayed connection (gRPC listens on no
  // port: see the class comment) and takes ownership of `fd`;
  // `listener_fd` is the relay's private listener that accepted it.
  std::function<void(int listener_fd, int fd)> hand_to_backend;
  // The first of the relayed connections' source addresses (host order;
  // 127.0.0.1), taken in turn up to 127.255.255.254. Start() fails if they
  // cannot be bound here (lo configured as 127.0.0.1/32): falling back to
  // one address would let gRPC's peer string name another connection once
  // a port is reused. For tests.
  uint32_t first_source = 0x7f000001;
  // Client connections held at once; one more is accepted and closed at
  // once (so it fails fast instead of waiting in the backlog).
  int max_connections = 1024;
  // Non-null: clients speak TLS, which the relay terminates (gRPC's side
  // is plaintext on loopback), so the HTTP/2 checks below see the frames
  // on TLS listeners too, and a verified client certificate's names reach
  // the call through Lookup().
  std::shared_ptr<const TlsServerContext> tls;
  // A TLS handshake not done by then is dropped (slowloris handshakes).
  absl::Duration tls_handshake_timeout = absl::Seconds(10);
  // From accept to the ClientHello's first byte: a TLS connection silent
  // that long is dropped (silent connections that fill the handshake pool).
  absl::Duration tls_hello_timeout = absl::Seconds(2);
  // TLS handshakes in progress at once. When the pool is full, a newcomer
  // takes the place of the oldest handshake that has received no byte; if
  // every one has, the newcomer is closed at once. Each holds one
  // descriptor and no backend connection.
  int max_tls_handshakes = 256;
  // TLS handshakes in progress at once from one client address (IP); one
  // more from it is closed at once.
  int max_tls_handshakes_per_address = 8;
  // Read the HTTP/2 frame headers passing through (decrypted, over TLS)
  // and close a connection that breaks the limits below.
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
// relays each connection to gRPC (three descriptors a connection: the
// client's, ours to gRPC, gRPC's). With TLS it terminates TLS first, so
// that the same checks hold on TLS listeners.
//
// gRPC listens on no port: for each client the relay connects to a private
// listener of its own on 127.0.0.1, accepts the other end at once, and
// hands that descriptor to gRPC (options.hand_to_backend). Whatever else
// reaches the private listener (a local process that found the port) is
// closed unread, so no byte reaches gRPC except through the relay's checks.
//
// Each relayed connection leaves from its own loopback source address
// (127.x.y.z, taken in turn from the 16 million of 127/8), so gRPC's peer
// string names one client connection and is not handed to another for
// millions of connections; Lookup() maps it back to the client.
//
// One thread (epoll); every buffer is bounded (64 KiB each way a
// connection). TLS handshakes take at most kHandshakeBudget of the thread
// per round of events, so a handshake flood slows new connections, not
// established ones. Thread-safe.
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
    int tls_handshakes = 0;  // in progress
    uint64_t tls_handshakes_failed = 0;
    uint64_t tls_handshakes_timed_out = 0;
    uint64_t refused_at_handshake_limit = 0;
    uint64_t refused_at_address_handshake_limit = 0;
    // Closed kLingerAfterBackendEof after gRPC closed its side, the client
    // having sent no EOF of its own by then.
    uint64_t closed_after_backend_eof = 0;
    // Silent handshakes closed to make room for a newcomer.
    uint64_t tls_handshakes_evicted = 0;
    // The most handshake work the loop did in one round of events (about
    // kHandshakeBudget, 2 ms, plus the one handshake that crossed it).
    absl::Duration max_handshake_work_per_round;
    // Connections to the relay's private listener that the relay did not
    // make itself, closed unread.
    uint64_t intruders_closed = 0;
  };

  // A connection the relay holds towards gRPC, as the call sees it.
  struct RelayedPeer {
    // The client's address ("ipv4:203.0.113.5:40000").
    std::string client_peer;
    // The verified client certificate's CN and DNS SANs (mTLS); empty for
    // plaintext, TLS without a client CA, or no certificate.
    std::vector<std::string> certificate_subjects;
  };

  static absl::StatusOr<std::unique_ptr<ConnectionRelay>> Start(
      const ConnectionRelayOptions& options, Logger& logger);

  ~ConnectionRelay();

  // The port clients connect to.
  int port() const { return port_; }
  // The private listener's port (127.0.0.1), through which connections
  // reach gRPC; for tests.
  int private_port() const { return private_port_; }

  // The client behind gRPC's peer of a call ("ipv4:127.x.y.z:<port>", our
  // side of a relayed connection); nullopt when that peer is no connection
  // the relay holds (closed since, or never relayed).
  std::optional<RelayedPeer> Lookup(absl::string_view grpc_peer) const;

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
  absl::Status ListenPrivately();
  // Takes the connection from `expected` off the private listener's queue,
  // closing whatever else is queued there; -1 if it is not there.
  int AcceptOwn(const sockaddr_storage& expected);
  // Closes every connection queued on the private listener.
  void CloseIntruders();
  void Loop();
  void AcceptAll();
  // Closes a connection just accepted, beyond a limit; counts it in
  // stats_.*refused and logs `event` for the first of each thousand.
  void Refuse(int fd, uint64_t Stats::*refused, const char* event,
              const char* limit_name, int limit);
  void Open(int client_fd, std::string client_peer, std::string address_key);
  // The pool of handshakes is full: closes the oldest that has received no
  // byte; false if there is none.
  bool EvictSilentHandshake();
  // The connection's handshake is over (done or closed).
  void EndHandshake(Connection& connection);
  // Opens the connection to gRPC and starts relaying (after the TLS
  // handshake, if any).
  void ConnectBackend(Connection& connection);
  // Drives a TLS handshake; on success connects the backend. Counts its
  // time in round_handshake_work_.
  void ContinueHandshake(Connection& connection);
  void HandshakeStep(Connection& connection);
  // Closes handshakes past their deadline; returns how long until the
  // next one expires (or -1: none pending), in epoll's milliseconds.
  int ExpireHandshakes(absl::Time now);
  // Closes connections whose backend side ended a while ago (see
  // lingering_); returns how long until the next is due (or -1), in
  // epoll's milliseconds.
  int ExpireLingering(absl::Time now);
  void Service(Endpoint& endpoint, uint32_t events);
  // The client side's I/O, through TLS when there is some.
  enum class Io { kMoved, kWouldBlock, kEof, kFailed };
  // A recv() or send() result; sets *n when bytes moved.
  static Io SocketIo(ssize_t result, size_t* n);
  static Io FromTls(TlsIo result);
  Io ReadClient(Connection& connection, char* data, size_t size, size_t* n);
  Io WriteClient(Connection& connection, const char* data, size_t size,
                 size_t* n);
  // False if the connection was closed.
  bool Pump(Connection& connection);
  void UpdateInterest(Connection& connection);
  // The epoll events wanted on the client's or the backend's socket.
  void SetInterest(Connection& connection, bool client, uint32_t events);
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
  int private_port_ = 0;
  int private_fd_ = -1;
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
  // TLS handshakes in progress by serial, and their deadlines in order
  // (one timeout for all, so accept order is deadline order).
  absl::flat_hash_map<uint64_t, Connection*> handshaking_;
  std::deque<std::pair<absl::Time, uint64_t>> handshake_deadlines_;
  // Connections whose backend (gRPC) closed its side and whose client was
  // sent close_notify/FIN, by deadline (one delay for all, so in order):
  // closed then even if the client never sends its EOF.
  struct Lingering {
    absl::Time deadline;
    Connection* connection;
    uint64_t serial;
  };
  std::deque<Lingering> lingering_;
  // The same for the first byte of the ClientHello.
  std::deque<std::pair<absl::Time, uint64_t>> hello_deadlines_;
  // Handshakes in progress by client address (its bytes).
  absl::flat_hash_map<std::string, int> handshakes_by_address_;
  uint64_t next_serial_ = 0;
  // Handshake work done in the current round of events.
  absl::Duration round_handshake_work_;
  // Which 127.x.y.z the next backend connection leaves from.
  uint32_t next_source_ = 0;
  uint64_t source_failures_ = 0;
  int open_streams_ = 0;
  TokenBucket all_resets_;
  uint64_t closed_logged_ = 0;

  mutable absl::Mutex mu_;
  // Our side of each backend connection, as gRPC spells its peer
  // ("ipv4:127.x.y.z:port") -> the client behind it.
  absl::flat_hash_map<std::string, RelayedPeer> peers_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_CONNECTION_RELAY_H_
