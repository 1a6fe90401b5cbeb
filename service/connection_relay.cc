#include "service/connection_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

// Linux 4.2's; glibc's <netinet/in.h> does not name it.
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace identity::service {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;
constexpr int kMaxEvents = 256;
// After an accept failed for want of descriptors, how long the listener
// rests before trying again (the loop keeps relaying meanwhile).
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(50);
// TLS handshake work (a private-key operation each, ~1 ms for RSA-2048)
// the loop does per round of events; the rest waits for the next round,
// after established connections had their turn.
constexpr absl::Duration kHandshakeBudget = absl::Milliseconds(2);
// How long a connection stays after gRPC closed its side and the client
// was told (close_notify, FIN) without closing its own: then it is closed,
// so a silent client does not hold a --max_connections slot forever.
constexpr absl::Duration kLingerAfterBackendEof = absl::Seconds(3);
// 127.0.0.1 and up: the backend connections' source addresses, in turn.
constexpr uint32_t kLoopbackSources = (1u << 24) - 2;

constexpr size_t kPrefaceBytes = 24;  // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
constexpr uint8_t kData = 0x0;
constexpr uint8_t kHeaders = 0x1;
constexpr uint8_t kRstStream = 0x3;
constexpr uint8_t kEndStream = 0x1;
// No check of a frame's length: it is a 24-bit field, and gRPC 1.51
// advertises a SETTINGS_MAX_FRAME_SIZE it adjusts itself (4187369 measured
// here, not 16384), so no fixed bound below 2^24 is safe; gRPC enforces its
// own.

// A bounded FIFO of bytes between two sockets.
struct Pipe {
  char data[kBufferBytes];
  size_t begin = 0;
  size_t end = 0;
  bool eof = false;  // the reading side saw EOF

  size_t size() const { return end - begin; }
  size_t space() const { return kBufferBytes - end; }
  void Compact() {
    if (begin == end) {
      begin = end = 0;
    } else if (begin > 0 && space() < kBufferBytes / 4) {
      std::memmove(data, data + begin, size());
      end -= begin;
      begin = 0;
    }
  }
};

// Finds HTTP/2 frame headers in a byte stream, however it is split.
class FrameScanner {
 public:
  explicit FrameScanner(size_t preface_bytes) : skip_(preface_bytes) {}

  struct Header {
    uint32_t length;
    uint8_t type;
    uint8_t flags;
    uint32_t stream_id;
  };

  // Calls on_header(const Header&) for each complete frame header in
  // `data`; stops early (returning false) when it returns false.
  template <typename OnHeader>
  bool Scan(const char* data, size_t size, OnHeader on_header) {
    while (size > 0) {
      if (skip_ > 0) {
        const size_t n = std::min<size_t>(skip_, size);
        skip_ -= n;
        data += n;
        size -= n;
        continue;
      }
      const size_t n = std::min(sizeof(header_) - have_, size);
      std::memcpy(header_ + have_, data, n);
      have_ += n;
      data += n;
      size -= n;
      if (have_ < sizeof(header_)) break;
      have_ = 0;
      Header header;
      header.length = (uint32_t{header_[0]} << 16) |
                      (uint32_t{header_[1]} << 8) | header_[2];
      header.type = header_[3];
      header.flags = header_[4];
      header.stream_id =
          ((uint32_t{header_[5]} << 24) | (uint32_t{header_[6]} << 16) |
           (uint32_t{header_[7]} << 8) | header_[8]) &
          0x7fffffffu;
      skip_ = header.length;
      if (!on_header(header)) return false;
    }
    return true;
  }

 private:
  size_t skip_;
  unsigned char header_[9];
  size_t have_ = 0;
};

}  // namespace

bool ConnectionRelay::TakeToken(TokenBucket& bucket, double rate, double burst,
                                absl::Time now) {
  if (bucket.refilled == absl::InfinitePast()) {
    bucket.tokens = burst;
  } else {
    bucket.tokens = std::min(
        burst,
        bucket.tokens + rate * absl::ToDoubleSeconds(now - bucket.refilled));
  }
  bucket.refilled = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

namespace {

void SetNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// gRPC's spelling of a socket address: "ipv4:1.2.3.4:5" / "ipv6:[::1]:5".
std::string PeerString(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, host, sizeof(host));
    return absl::StrCat("ipv4:", host, ":", ntohs(v4.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], host, sizeof(host));
      return absl::StrCat("ipv4:", host, ":", ntohs(v6.sin6_port));
    }
    inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof(host));
    return absl::StrCat("ipv6:[", host, "]:", ntohs(v6.sin6_port));
  }
  return "unknown";
}

// The client's IP address as bytes (v4-mapped IPv6 as IPv4).
std::string AddressKey(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    return std::string(reinterpret_cast<const char*>(&v4.sin_addr), 4);
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      return std::string(
          reinterpret_cast<const char*>(&v6.sin6_addr.s6_addr[12]), 4);
    }
    return std::string(reinterpret_cast<const char*>(&v6.sin6_addr), 16);
  }
  return "";
}

int LocalPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in&>(address).sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6&>(address).sin6_port);
  }
  return 0;
}

}  // namespace

struct ConnectionRelay::Endpoint {
  Connection* connection;
  bool is_client;
};

struct ConnectionRelay::Connection {
  Connection()
      : client{this, true},
        backend{this, false},
        from_client(kPrefaceBytes),
        from_server(0) {}

  Endpoint client;
  Endpoint backend;
  uint64_t serial = 0;
  int client_fd = -1;
  int backend_fd = -1;
  RelayedPeer peer;
  // Our side of the backend connection, as gRPC names its peer.
  std::string backend_peer;
  bool backend_connected = false;
  // TLS: the session, whether its handshake is still running, and what
  // the last read / write needs from the socket besides the obvious.
  std::unique_ptr<TlsSession> tls;
  bool handshaking = false;
  // Some byte (or EOF) arrived during the handshake.
  bool hello_seen = false;
  // The client's address (IP) bytes, for the per-address handshake cap.
  std::string address_key;
  bool tls_read_wants_write = false;
  bool tls_write_wants_read = false;
  // Closed: its descriptors are gone and it waits in the graveyard until
  // the current batch of events (which may still name it) is done.
  bool closed = false;
  bool client_write_shut = false;
  bool backend_write_shut = false;
  uint32_t client_events = 0;
  uint32_t backend_events = 0;
  Pipe to_backend;
  Pipe to_client;
  FrameScanner from_client;
  FrameScanner from_server;
  absl::flat_hash_set<uint32_t> open_streams;
  uint32_t last_client_stream = 0;
  TokenBucket resets;  // client RST_STREAM frames
};

absl::StatusOr<std::unique_ptr<ConnectionRelay>> ConnectionRelay::Start(
    const ConnectionRelayOptions& options, Logger& logger) {
  std::unique_ptr<ConnectionRelay> relay(new ConnectionRelay(options, logger));
  if (absl::Status s = relay->Listen(); !s.ok()) return s;
  relay->thread_ = std::thread([r = relay.get()] { r->Loop(); });
  return relay;
}

ConnectionRelay::ConnectionRelay(const ConnectionRelayOptions& options,
                                 Logger& logger)
    : options_(options), logger_(logger) {}

ConnectionRelay::~ConnectionRelay() { Stop(); }

absl::Status ConnectionRelay::Listen() {
  const std::string& address = options_.listen_address;
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be host:port, not ", address));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const int error =
      getaddrinfo(host.empty() || host == "*" ? nullptr : host.c_str(),
                  absl::StrCat(port).c_str(), &hints, &found);
  if (error != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot resolve --listen ", address, ": ", gai_strerror(error)));
  }
  std::string last_error = "no address";
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    const int fd = socket(at->ai_family, at->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (at->ai_family == AF_INET6) {
      // "[::]" serves IPv4 too, as gRPC's listener does.
      const int zero = 0;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    }
    if (bind(fd, at->ai_addr, at->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
      listen_fd_ = fd;
      break;
    }
    last_error = std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(found);
  if (listen_fd_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": ", last_error));
  }
  SetNonBlocking(listen_fd_);
  port_ = LocalPort(listen_fd_);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (epoll_fd_ < 0 || stop_fd_ < 0 || reserve_fd_ < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot set up the accept loop: ", std::strerror(errno)));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = nullptr;  // the listener
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &event);
  event.data.ptr = this;  // the stop signal
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &event);
  return ListenPrivately();
}

namespace {

// Binds `fd` to `source` (host order), the port left to connect().
absl::Status BindSource(int fd, uint32_t source) {
  const int one = 1;
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(source);
  if (fd < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    char host[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &address.sin_addr, host, sizeof(host));
    return absl::UnavailableError(absl::StrCat(
        "cannot bind a relayed connection's source address ", host, ": ",
        std::strerror(errno),
        " (each connection to gRPC leaves from its own address in 127/8, "
        "which must all be local: lo as 127.0.0.1/8)"));
  }
  return absl::OkStatus();
}

bool SameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != AF_INET || b.ss_family != AF_INET) return false;
  const auto& a4 = reinterpret_cast<const sockaddr_in&>(a);
  const auto& b4 = reinterpret_cast<const sockaddr_in&>(b);
  return a4.sin_addr.s_addr == b4.sin_addr.s_addr && a4.sin_port == b4.sin_port;
}

}  // namespace

absl::Status ConnectionRelay::ListenPrivately() {
  private_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (private_fd_ < 0 ||
      bind(private_fd_, reinterpret_cast<sockaddr*>(&address),
           sizeof(address)) != 0 ||
      listen(private_fd_, 1024) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on 127.0.0.1 for gRPC: ", std::strerror(errno)));
  }
  private_port_ = LocalPort(private_fd_);
  // The first and the last source address: 127/8 must be local here.
  for (const uint32_t offset : {0u, kLoopbackSources - 1}) {
    const uint32_t source = options_.first_source + offset;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const absl::Status bound = BindSource(fd, source);
    if (fd >= 0) close(fd);
    if (!bound.ok()) return bound;
  }
  // Woken by what the relay did not connect itself (its own connections
  // are taken off the queue at once, in ConnectBackend).
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &private_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, private_fd_, &event);
  return absl::OkStatus();
}

int ConnectionRelay::AcceptOwn(const sockaddr_storage& expected) {
  // A loopback connect() has queued the connection by the time it
  // returns; one short wait covers a busy kernel.
  for (int attempt = 0; attempt < 2; ++attempt) {
    while (true) {
      sockaddr_storage peer{};
      socklen_t length = sizeof(peer);
      const int fd = accept4(private_fd_, reinterpret_cast<sockaddr*>(&peer),
                             &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      // Only our socket can hold this address pair while it is connected.
      if (SameAddress(peer, expected)) return fd;
      const linger abort_close{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
      close(fd);
      absl::MutexLock lock(&mu_);
      if (stats_.intruders_closed++ % 1000 == 0) {
        logger_.Warning(
            "private_listener_intruder_closed",
            {{"peer", PeerString(peer)},
             {"closed_so_far", absl::StrCat(stats_.intruders_closed)}});
      }
    }
    if (attempt == 0) {
      pollfd ready{private_fd_, POLLIN, 0};
      poll(&ready, 1, /*timeout_ms=*/5);
    }
  }
  return -1;
}

void ConnectionRelay::CloseIntruders() {
  // Nothing of ours is queued now: every address is someone else's.
  sockaddr_storage none{};
  const int fd = AcceptOwn(none);
  if (fd >= 0) close(fd);
}

void ConnectionRelay::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (thread_.joinable()) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  for (auto& entry : connections_) {
    close(entry.second->client_fd);
    if (entry.second->backend_fd >= 0) close(entry.second->backend_fd);
  }
  connections_.clear();
  graveyard_.clear();
  for (int fd : {listen_fd_, private_fd_, epoll_fd_, stop_fd_, reserve_fd_}) {
    if (fd >= 0) close(fd);
  }
  listen_fd_ = private_fd_ = epoll_fd_ = stop_fd_ = reserve_fd_ = -1;
}

std::optional<ConnectionRelay::RelayedPeer> ConnectionRelay::Lookup(
    absl::string_view grpc_peer) const {
  absl::MutexLock lock(&mu_);
  auto it = peers_.find(grpc_peer);
  if (it == peers_.end()) return std::nullopt;
  return it->second;
}

ConnectionRelay::Stats ConnectionRelay::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void ConnectionRelay::Loop() {
  // OpenSSL writes to the client sockets with write(), which raises
  // SIGPIPE on a connection the client reset. Blocked in this thread only,
  // it stays pending here and write() fails with EPIPE instead.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  epoll_event events[kMaxEvents];
  absl::Time accept_paused_until = absl::InfinitePast();
  bool listening = true;
  int handshake_timeout_ms = -1;
  while (true) {
    int timeout_ms = listening ? -1 : 10;
    if (handshake_timeout_ms >= 0 &&
        (timeout_ms < 0 || handshake_timeout_ms < timeout_ms)) {
      timeout_ms = handshake_timeout_ms;
    }
    const int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    const absl::Time round_start = absl::Now();
    round_handshake_work_ = absl::ZeroDuration();
    if (!listening && round_start >= accept_paused_until) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.ptr = nullptr;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &event);
      listening = true;
    }
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == this) return;  // Stop()
      if (tag == &private_fd_) {
        CloseIntruders();
        continue;
      }
      if (tag == nullptr) {
        AcceptAll();
        if (reserve_fd_ < 0) {
          // Out of descriptors even after shedding: rest the listener so
          // the loop does not spin, and keep relaying.
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
          listening = false;
          accept_paused_until = absl::Now() + kAcceptBackoff;
          reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        continue;
      }
      auto* endpoint = static_cast<Endpoint*>(tag);
      Connection& connection = *endpoint->connection;
      // Closed earlier in this batch: kept alive until the batch ends.
      if (connection.closed) continue;
      if (connection.handshaking) {
        connection.hello_seen = true;  // bytes or EOF arrived
        // Over budget: level-triggered epoll reports it again next round.
        if (round_handshake_work_ >= kHandshakeBudget) continue;
        ContinueHandshake(connection);
        continue;
      }
      Service(*endpoint, events[i].events);
    }
    if (round_handshake_work_ > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      stats_.max_handshake_work_per_round =
          std::max(stats_.max_handshake_work_per_round, round_handshake_work_);
    }
    const absl::Time now = absl::Now();
    handshake_timeout_ms = ExpireHandshakes(now);
    const int linger_ms = ExpireLingering(now);
    if (linger_ms >= 0 &&
        (handshake_timeout_ms < 0 || linger_ms < handshake_timeout_ms)) {
      handshake_timeout_ms = linger_ms;
    }
    graveyard_.clear();
  }
}

int ConnectionRelay::ExpireHandshakes(absl::Time now) {
  int wait_ms = -1;
  // One timeout for each queue, so accept order is deadline order.
  auto expire = [&](std::deque<std::pair<absl::Time, uint64_t>>& deadlines,
                    bool silent_only, const char* reason) {
    while (!deadlines.empty()) {
      const auto [deadline, serial] = deadlines.front();
      auto it = handshaking_.find(serial);
      if (it == handshaking_.end() ||  // done or closed since
          (silent_only && it->second->hello_seen)) {
        deadlines.pop_front();
        continue;
      }
      if (deadline > now) {
        const int ms = static_cast<int>(std::max<int64_t>(
            1, absl::ToInt64Milliseconds(deadline - now) + 1));
        if (wait_ms < 0 || ms < wait_ms) wait_ms = ms;
        return;
      }
      deadlines.pop_front();
      {
        absl::MutexLock lock(&mu_);
        ++stats_.tls_handshakes_timed_out;
      }
      Close(*it->second, reason);
    }
  };
  expire(hello_deadlines_, /*silent_only=*/true, "tls_client_hello_timeout");
  expire(handshake_deadlines_, /*silent_only=*/false, "tls_handshake_timeout");
  return wait_ms;
}

int ConnectionRelay::ExpireLingering(absl::Time now) {
  while (!lingering_.empty()) {
    const Lingering entry = lingering_.front();
    auto it = connections_.find(entry.connection);
    // Closed since (the address may hold a newer connection by now).
    if (it == connections_.end() || it->second->serial != entry.serial) {
      lingering_.pop_front();
      continue;
    }
    if (entry.deadline > now) {
      return static_cast<int>(std::max<int64_t>(
          1, absl::ToInt64Milliseconds(entry.deadline - now) + 1));
    }
    lingering_.pop_front();
    {
      absl::MutexLock lock(&mu_);
      ++stats_.closed_after_backend_eof;
    }
    Close(*it->second, nullptr);
  }
  return -1;
}

bool ConnectionRelay::EvictSilentHandshake() {
  for (const auto& [deadline, serial] : handshake_deadlines_) {
    auto it = handshaking_.find(serial);
    if (it == handshaking_.end()) continue;
    Connection& c = *it->second;
    if (c.hello_seen) continue;
    char byte;
    if (recv(c.client_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 ||
        (errno != EAGAIN && errno != EWOULDBLOCK)) {
      c.hello_seen = true;  // bytes or EOF, not yet handled
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      ++stats_.tls_handshakes_evicted;
    }
    Close(c, "tls_handshake_evicted");
    return true;
  }
  return false;
}

void ConnectionRelay::EndHandshake(Connection& c) {
  c.handshaking = false;
  handshaking_.erase(c.serial);
  auto it = handshakes_by_address_.find(c.address_key);
  if (it != handshakes_by_address_.end() && --it->second <= 0) {
    handshakes_by_address_.erase(it);
  }
}

void ConnectionRelay::AcceptAll() {
  for (int burst = 0; burst < 64; ++burst) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address),
                           &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        // Use the reserve descriptor to take the connection off the
        // backlog and close it: the client gets a prompt close, the
        // listener keeps working. The reserve is reopened by the caller.
        if (reserve_fd_ >= 0) {
          close(reserve_fd_);
          reserve_fd_ = -1;
          const int shed = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (shed >= 0) close(shed);
        }
        absl::MutexLock lock(&mu_);
        ++stats_.shed_out_of_descriptors;
        if (stats_.shed_out_of_descriptors % 1000 == 1) {
          logger_.Warning(
              "accept_out_of_descriptors",
              {{"shed", absl::StrCat(stats_.shed_out_of_descriptors)}});
        }
      }
      return;  // EAGAIN, or an error the next readiness retries
    }
    if (static_cast<int>(connections_.size()) >= options_.max_connections) {
      Refuse(fd, &Stats::refused_at_limit, "connection_limit_reached",
             "max_connections", options_.max_connections);
      continue;
    }
    std::string address_key = AddressKey(address);
    if (options_.tls != nullptr) {
      auto from_address = handshakes_by_address_.find(address_key);
      if (from_address != handshakes_by_address_.end() &&
          from_address->second >= options_.max_tls_handshakes_per_address) {
        Refuse(fd, &Stats::refused_at_address_handshake_limit,
               "tls_handshake_address_limit_reached",
               "max_tls_handshakes_per_address",
               options_.max_tls_handshakes_per_address);
        continue;
      }
      if (static_cast<int>(handshaking_.size()) >=
              options_.max_tls_handshakes &&
          !EvictSilentHandshake()) {
        Refuse(fd, &Stats::refused_at_handshake_limit,
               "tls_handshake_limit_reached", "max_tls_handshakes",
               options_.max_tls_handshakes);
        continue;
      }
    }
    Open(fd, PeerString(address), std::move(address_key));
  }
}

void ConnectionRelay::Refuse(int fd, uint64_t Stats::*refused,
                             const char* event, const char* limit_name,
                             int limit) {
  // Counted before the close, which a test may be waiting for.
  absl::MutexLock lock(&mu_);
  close(fd);
  // One line per thousand: a flood must not turn into a log flood.
  if ((stats_.*refused)++ % 1000 == 0) {
    logger_.Warning(event, {{limit_name, absl::StrCat(limit)},
                            {"refused", absl::StrCat(stats_.*refused)}});
  }
}

void ConnectionRelay::Open(int client_fd, std::string client_peer,
                           std::string address_key) {
  const int one = 1;
  setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  auto owned = std::make_unique<Connection>();
  Connection& connection = *owned;
  connection.serial = ++next_serial_;
  connection.client_fd = client_fd;
  connection.peer.client_peer = std::move(client_peer);
  if (options_.tls != nullptr) {
    connection.tls = options_.tls->NewSession(client_fd);
    if (connection.tls == nullptr) {
      close(client_fd);
      return;
    }
    connection.handshaking = true;
  }
  connections_.emplace(&connection, std::move(owned));
  {
    absl::MutexLock lock(&mu_);
    ++stats_.accepted;
    stats_.connections = static_cast<int>(connections_.size());
  }
  epoll_event event{};
  event.events = 0;
  event.data.ptr = &connection.client;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, client_fd, &event);
  if (!connection.handshaking) {
    ConnectBackend(connection);
    return;
  }
  handshaking_[connection.serial] = &connection;
  connection.address_key = std::move(address_key);
  ++handshakes_by_address_[connection.address_key];
  const absl::Time now = absl::Now();
  handshake_deadlines_.emplace_back(now + options_.tls_handshake_timeout,
                                    connection.serial);
  hello_deadlines_.emplace_back(now + options_.tls_hello_timeout,
                                connection.serial);
  {
    absl::MutexLock lock(&mu_);
    stats_.tls_handshakes = static_cast<int>(handshaking_.size());
  }
  // No handshake work here: the loop drives it when the ClientHello
  // arrives, within kHandshakeBudget a round, so that a burst of accepts
  // does not run its key exchanges outside the budget.
  SetInterest(connection, /*client=*/true, EPOLLIN);
}

void ConnectionRelay::ContinueHandshake(Connection& c) {
  const absl::Time started = absl::Now();
  HandshakeStep(c);
  round_handshake_work_ += absl::Now() - started;
}

void ConnectionRelay::HandshakeStep(Connection& c) {
  const TlsIo result = c.tls->Handshake();
  uint32_t events = 0;
  switch (result) {
    case TlsIo::kWantRead:
      events = EPOLLIN;
      break;
    case TlsIo::kWantWrite:
      events = EPOLLOUT;
      break;
    case TlsIo::kOk:
      break;
    case TlsIo::kClosed:
    case TlsIo::kFailed: {
      uint64_t failed;
      {
        absl::MutexLock lock(&mu_);
        failed = ++stats_.tls_handshakes_failed;
      }
      // Bad certificates are worth a line; a flood of them is not.
      if (failed % 1000 == 1) {
        logger_.Warning("tls_handshake_failed",
                        {{"peer", c.peer.client_peer},
                         {"error", c.tls->LastError()},
                         {"failed_so_far", absl::StrCat(failed)}});
      }
      // A graceful close, so a client that spoke plaintext to a TLS port
      // reads an end of stream ("Socket closed", which identityctl turns
      // into "pass --tls-ca"), not a reset: drop what it sent that TLS did
      // not read (unread input turns close() into a reset), then close.
      char discard[4096];
      for (int i = 0; i < 16; ++i) {
        if (recv(c.client_fd, discard, sizeof(discard), MSG_DONTWAIT) <= 0) {
          break;
        }
      }
      Close(c, "tls_handshake_failed");
      return;
    }
  }
  if (result != TlsIo::kOk) {
    SetInterest(c, /*client=*/true, events);
    return;
  }
  EndHandshake(c);
  c.peer.certificate_subjects = c.tls->VerifiedPeerNames();
  {
    absl::MutexLock lock(&mu_);
    stats_.tls_handshakes = static_cast<int>(handshaking_.size());
  }
  ConnectBackend(c);
}

void ConnectionRelay::ConnectBackend(Connection& c) {
  const int backend_fd =
      socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (backend_fd < 0) {
    {
      absl::MutexLock lock(&mu_);
      ++stats_.shed_out_of_descriptors;
    }
    Close(c, nullptr);
    return;
  }
  const int one = 1;
  setsockopt(backend_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // A source address of its own (see the class comment); the port is
  // picked at connect(). No fallback to a shared address: gRPC's peer
  // string would then no longer name one connection.
  const uint32_t source = options_.first_source + next_source_;
  next_source_ = (next_source_ + 1) % kLoopbackSources;
  if (absl::Status bound = BindSource(backend_fd, source); !bound.ok()) {
    if (source_failures_++ % 1000 == 0) {
      logger_.Error("relay_source_bind_failed",
                    {{"error", std::string(bound.message())},
                     {"failed_so_far", absl::StrCat(source_failures_)}});
    }
    close(backend_fd);
    Close(c, nullptr);
    return;
  }
  sockaddr_in backend{};
  backend.sin_family = AF_INET;
  backend.sin_port = htons(static_cast<uint16_t>(private_port_));
  backend.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(backend_fd, reinterpret_cast<sockaddr*>(&backend),
              sizeof(backend)) != 0 &&
      errno != EINPROGRESS) {
    close(backend_fd);
    Close(c, nullptr);
    return;
  }
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  getsockname(backend_fd, reinterpret_cast<sockaddr*>(&local), &length);
  // gRPC's end of the connection, from our private listener's queue.
  const int grpc_fd = AcceptOwn(local);
  if (grpc_fd < 0) {
    close(backend_fd);
    Close(c, "backend_unreachable");
    return;
  }
  c.backend_fd = backend_fd;
  c.backend_peer = PeerString(local);
  {
    absl::MutexLock lock(&mu_);
    peers_[c.backend_peer] = c.peer;
  }
  // Registered first: gRPC may dispatch a call on it at once.
  options_.hand_to_backend(private_fd_, grpc_fd);
  epoll_event event{};
  event.events = 0;
  event.data.ptr = &c.backend;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, backend_fd, &event);
  c.backend_events = 0;
  // TLS may already hold the client's first bytes, which no readiness
  // event will announce.
  if (Pump(c)) UpdateInterest(c);
}

void ConnectionRelay::Service(Endpoint& endpoint, uint32_t events) {
  Connection& connection = *endpoint.connection;
  if (!endpoint.is_client && !connection.backend_connected &&
      (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(connection.backend_fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      Close(connection, "backend_unreachable");
      return;
    }
    connection.backend_connected = true;
  }
  if (Pump(connection)) UpdateInterest(connection);
}

ConnectionRelay::Io ConnectionRelay::SocketIo(ssize_t result, size_t* n) {
  if (result > 0) {
    *n = static_cast<size_t>(result);
    return Io::kMoved;
  }
  if (result == 0) return Io::kEof;  // recv(); send() never returns 0 here
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
             ? Io::kWouldBlock
             : Io::kFailed;
}

ConnectionRelay::Io ConnectionRelay::FromTls(TlsIo result) {
  switch (result) {
    case TlsIo::kOk:
      return Io::kMoved;
    case TlsIo::kWantRead:
    case TlsIo::kWantWrite:
      return Io::kWouldBlock;
    case TlsIo::kClosed:
      return Io::kEof;
    case TlsIo::kFailed:
      break;
  }
  return Io::kFailed;
}

ConnectionRelay::Io ConnectionRelay::ReadClient(Connection& c, char* data,
                                                size_t size, size_t* n) {
  if (c.tls == nullptr) return SocketIo(recv(c.client_fd, data, size, 0), n);
  const TlsIo result = c.tls->Read(data, size, n);
  c.tls_read_wants_write = result == TlsIo::kWantWrite;
  return FromTls(result);
}

ConnectionRelay::Io ConnectionRelay::WriteClient(Connection& c,
                                                 const char* data, size_t size,
                                                 size_t* n) {
  if (c.tls == nullptr) {
    return SocketIo(send(c.client_fd, data, size, MSG_NOSIGNAL), n);
  }
  const TlsIo result = c.tls->Write(data, size, n);
  c.tls_write_wants_read = result == TlsIo::kWantRead;
  // A close_notify while we write is the end of the connection.
  const Io io = FromTls(result);
  return io == Io::kEof ? Io::kFailed : io;
}

bool ConnectionRelay::Pump(Connection& c) {
  // Read from each side into its pipe, inspecting what was read, then
  // write out whatever the pipes hold; repeat while anything moved.
  for (int round = 0;; ++round) {
    bool moved = false;
    for (const bool from_client : {true, false}) {
      if (!from_client && !c.backend_connected) continue;
      Pipe& pipe = from_client ? c.to_backend : c.to_client;
      if (!pipe.eof && pipe.space() > 0) {
        char* at = pipe.data + pipe.end;
        size_t n = 0;
        Io read = Io::kWouldBlock;
        if (from_client) {
          read = ReadClient(c, at, pipe.space(), &n);
        } else {
          read = SocketIo(recv(c.backend_fd, at, pipe.space(), 0), &n);
        }
        if (read == Io::kMoved) {
          if (options_.inspect_http2) {
            if (from_client) {
              if (const char* reason = InspectFromClient(c, at, n)) {
                if (!c.closed) Close(c, reason);
                return false;
              }
            } else {
              InspectFromServer(c, at, n);
            }
          }
          pipe.end += n;
          moved = true;
        } else if (read == Io::kEof) {
          pipe.eof = true;
          moved = true;
        } else if (read == Io::kFailed) {
          Close(c, nullptr);
          return false;
        }
      }
      const bool to_backend = from_client;
      if (to_backend && !c.backend_connected) continue;
      if (pipe.size() > 0) {
        size_t n = 0;
        Io wrote = Io::kWouldBlock;
        if (to_backend) {
          wrote = SocketIo(send(c.backend_fd, pipe.data + pipe.begin,
                                pipe.size(), MSG_NOSIGNAL),
                           &n);
        } else {
          wrote = WriteClient(c, pipe.data + pipe.begin, pipe.size(), &n);
        }
        if (wrote == Io::kMoved) {
          pipe.begin += n;
          moved = true;
        } else if (wrote == Io::kFailed) {
          Close(c, nullptr);
          return false;
        }
      }
      pipe.Compact();
      bool& write_shut =
          to_backend ? c.backend_write_shut : c.client_write_shut;
      if (pipe.eof && pipe.size() == 0 && !write_shut) {
        if (!to_backend && c.tls != nullptr) c.tls->SendCloseNotify();
        shutdown(to_backend ? c.backend_fd : c.client_fd, SHUT_WR);
        write_shut = true;
        if (!to_backend) {
          lingering_.push_back(
              {absl::Now() + kLingerAfterBackendEof, &c, c.serial});
        }
      }
    }
    if ((c.to_backend.eof && c.to_backend.size() == 0 && c.to_client.eof &&
         c.to_client.size() == 0)) {
      Close(c, nullptr);
      return false;
    }
    if (!moved) break;
    // 16 rounds, then the next connection's turn; but bytes OpenSSL has
    // already read from the socket get no readiness event, so go on while
    // it holds some and the pipe has room for them.
    if (round >= 15 && !(c.tls != nullptr && !c.to_backend.eof &&
                         c.to_backend.space() > 0 && c.tls->HasPending())) {
      break;
    }
  }
  return true;
}

void ConnectionRelay::UpdateInterest(Connection& c) {
  uint32_t client = 0;
  uint32_t backend = 0;
  if (!c.to_backend.eof && c.to_backend.space() > 0) client |= EPOLLIN;
  if (c.to_client.size() > 0) client |= EPOLLOUT;
  // TLS may need the other direction of the socket to make progress.
  if (c.tls_write_wants_read && c.to_client.size() > 0) client |= EPOLLIN;
  if (c.tls_read_wants_write && !c.to_backend.eof) client |= EPOLLOUT;
  if (!c.backend_connected) {
    backend |= EPOLLOUT;
  } else {
    if (!c.to_client.eof && c.to_client.space() > 0) backend |= EPOLLIN;
    if (c.to_backend.size() > 0) backend |= EPOLLOUT;
  }
  SetInterest(c, /*client=*/true, client);
  SetInterest(c, /*client=*/false, backend);
}

void ConnectionRelay::SetInterest(Connection& c, bool client, uint32_t events) {
  uint32_t& current = client ? c.client_events : c.backend_events;
  if (events == current) return;
  epoll_event event{};
  event.events = events;
  event.data.ptr = client ? &c.client : &c.backend;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, client ? c.client_fd : c.backend_fd,
            &event);
  current = events;
}

const char* ConnectionRelay::InspectFromClient(Connection& c, const char* data,
                                               size_t size) {
  const char* violation = nullptr;
  c.from_client.Scan(data, size, [&](const FrameScanner::Header& frame) {
    if (frame.type == kHeaders && frame.stream_id > c.last_client_stream) {
      c.last_client_stream = frame.stream_id;
      if (static_cast<int>(c.open_streams.size()) >=
          options_.max_streams_per_connection) {
        violation = "http2_too_many_streams";
        return false;
      }
      c.open_streams.insert(frame.stream_id);
      if (++open_streams_ > options_.max_open_streams && EvictLargest(c)) {
        violation = "http2_too_many_streams";  // c itself holds the most
        return false;
      }
    } else if (frame.type == kRstStream) {
      if (c.open_streams.erase(frame.stream_id) > 0) --open_streams_;
      // Each reset stream still costs gRPC a call; a connection may spend
      // a second's worth at once, and all of them together ten times that.
      const absl::Time now = absl::Now();
      const double rate = options_.max_resets_per_second;
      if (!TakeToken(c.resets, rate, rate, now) ||
          !TakeToken(all_resets_, 10 * rate, 10 * rate, now)) {
        violation = "http2_reset_flood";
        return false;
      }
    }
    return true;
  });
  return violation;
}

void ConnectionRelay::InspectFromServer(Connection& c, const char* data,
                                        size_t size) {
  c.from_server.Scan(data, size, [&](const FrameScanner::Header& frame) {
    const bool ends = frame.type == kRstStream ||
                      ((frame.type == kHeaders || frame.type == kData) &&
                       (frame.flags & kEndStream));
    if (ends && c.open_streams.erase(frame.stream_id) > 0) --open_streams_;
    return true;
  });
}

bool ConnectionRelay::EvictLargest(Connection& current) {
  Connection* largest = &current;
  for (auto& entry : connections_) {
    if (entry.second->open_streams.size() > largest->open_streams.size()) {
      largest = entry.second.get();
    }
  }
  if (largest == &current) return true;
  Close(*largest, "http2_too_many_streams");
  return false;
}

void ConnectionRelay::Close(Connection& c, const char* reason) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.client_fd, nullptr);
  if (c.backend_fd >= 0)
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.backend_fd, nullptr);
  if (reason != nullptr &&
      absl::string_view(reason) != "tls_handshake_failed") {
    // Abortive close: the client learns at once, and the kernel drops what
    // it still held for gRPC.
    const linger abort_close{1, 0};
    setsockopt(c.client_fd, SOL_SOCKET, SO_LINGER, &abort_close,
               sizeof(abort_close));
    if (c.backend_fd >= 0) {
      setsockopt(c.backend_fd, SOL_SOCKET, SO_LINGER, &abort_close,
                 sizeof(abort_close));
    }
  }
  if (c.handshaking) EndHandshake(c);
  open_streams_ -= static_cast<int>(c.open_streams.size());
  std::string peer;
  {
    absl::MutexLock lock(&mu_);
    peer = c.peer.client_peer;
    if (!c.backend_peer.empty()) peers_.erase(c.backend_peer);
    if (reason != nullptr) {
      if (absl::string_view(reason) == "http2_too_many_streams") {
        ++stats_.closed_for_streams;
      } else if (absl::string_view(reason) == "http2_reset_flood") {
        ++stats_.closed_for_resets;
      } else if (absl::StartsWith(reason, "tls_")) {
        // counted where they happen
      } else {
        ++stats_.closed_for_framing;
      }
    }
    stats_.connections = static_cast<int>(connections_.size()) - 1;
    stats_.open_streams = open_streams_;
    stats_.tls_handshakes = static_cast<int>(handshaking_.size());
  }
  // After the stats: whoever sees the close sees them too.
  close(c.client_fd);
  if (c.backend_fd >= 0) close(c.backend_fd);
  // One line per thousand: a flood must not turn into a log flood.
  if (reason != nullptr && closed_logged_++ % 1000 == 0) {
    logger_.Warning("connection_closed",
                    {{"reason", reason},
                     {"peer", peer},
                     {"closed_so_far", absl::StrCat(closed_logged_)}});
  }
  c.closed = true;
  auto it = connections_.find(&c);
  graveyard_.push_back(std::move(it->second));
  connections_.erase(it);
}

}  // namespace identity::service
