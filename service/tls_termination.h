#ifndef IDENTITY_SERVICE_TLS_TERMINATION_H_
#define IDENTITY_SERVICE_TLS_TERMINATION_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// OpenSSL's types, declared here so that no OpenSSL header leaks out.
struct ssl_st;
struct ssl_ctx_st;

namespace identity::service {

// What a TLS operation on a non-blocking socket came to.
enum class TlsIo {
  kOk,         // done (bytes moved, handshake finished)
  kWantRead,   // retry once the socket is readable
  kWantWrite,  // retry once the socket is writable
  kClosed,     // the peer closed the connection (close_notify or EOF)
  kFailed,     // a TLS or socket error: close the connection
};

// The server side of one TLS connection over a non-blocking socket the
// caller owns (and closes after this object is gone). Not thread-safe: one
// thread drives it.
class TlsSession {
 public:
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Runs the handshake as far as the socket allows; kOk once it is done.
  TlsIo Handshake();
  // Decrypts up to `size` bytes into `data`; *moved is set on kOk.
  TlsIo Read(char* data, size_t size, size_t* moved);
  // Encrypts and sends up to `size` bytes; *moved is set on kOk. After
  // kWantRead/kWantWrite, retry with at least the same bytes.
  TlsIo Write(const char* data, size_t size, size_t* moved);
  // Whether OpenSSL holds bytes read from the socket that Read() has not
  // returned yet: no readiness event will announce them.
  bool HasPending() const;
  // Sends close_notify, best effort (the caller then shuts the socket).
  void SendCloseNotify();
  // After the handshake: the common name and DNS SANs of the client
  // certificate the handshake verified against the client CA; empty when
  // none was asked for.
  std::vector<std::string> VerifiedPeerNames() const;
  // Why the last operation failed (OpenSSL's reason, no secrets in it).
  std::string LastError() const { return last_error_; }

 private:
  friend class TlsServerContext;
  explicit TlsSession(ssl_st* ssl) : ssl_(ssl) {}
  TlsIo Result(int ret);

  ssl_st* const ssl_;
  std::string last_error_;
};

// The TLS settings identityd's listener serves with, built once from the
// PEM files of --tls_cert, --tls_key and --tls_client_ca: TLS 1.2 or 1.3,
// ALPN h2 (a client that offers ALPN without h2 is refused), AEAD ciphers
// with ephemeral keys only (RFC 9113 9.2.2), no renegotiation, no
// compression, no session resumption (every handshake verifies the client
// certificate afresh). With a client CA, a client must present a
// certificate it signed. Thread-safe.
class TlsServerContext {
 public:
  // `key_pem` is wiped by the caller; OpenSSL keeps its own copy.
  static absl::StatusOr<std::unique_ptr<TlsServerContext>> New(
      absl::string_view cert_chain_pem, absl::string_view key_pem,
      absl::string_view client_ca_pem);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // A session for the accepted socket `fd`; null if OpenSSL is out of
  // memory.
  std::unique_ptr<TlsSession> NewSession(int fd) const;
  bool verifies_clients() const { return verifies_clients_; }

 private:
  TlsServerContext(ssl_ctx_st* ctx, bool verifies_clients)
      : ctx_(ctx), verifies_clients_(verifies_clients) {}

  ssl_ctx_st* const ctx_;
  const bool verifies_clients_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_TLS_TERMINATION_H_
