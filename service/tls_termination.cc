#include "service/tls_termination.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/certificate_names.h"

namespace identity::service {
namespace {

// The ALPN protocol list we serve: HTTP/2 only.
constexpr unsigned char kH2[] = {2, 'h', '2'};

// TLS 1.2 suites HTTP/2 allows (RFC 9113 9.2.2: AEAD with ephemeral key
// exchange); TLS 1.3's suites are all of that kind.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

// OpenSSL's reason for the last failure on this thread, and a clean queue.
std::string TakeOpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

std::unique_ptr<BIO, BioFree> ReadOnlyBio(absl::string_view pem) {
  return std::unique_ptr<BIO, BioFree>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate in a PEM bundle, in order.
std::vector<std::unique_ptr<X509, X509Free>> ReadCertificates(
    absl::string_view pem) {
  std::vector<std::unique_ptr<X509, X509Free>> certs;
  std::unique_ptr<BIO, BioFree> bio = ReadOnlyBio(pem);
  if (bio == nullptr) return certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the end of the bundle reads as an error
  return certs;
}

int SelectH2(SSL*, const unsigned char** out, unsigned char* out_length,
             const unsigned char* offered, unsigned int offered_length, void*) {
  unsigned char* selected = nullptr;
  unsigned char selected_length = 0;
  if (SSL_select_next_proto(&selected, &selected_length, kH2, sizeof(kH2),
                            offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
  }
  *out = selected;
  *out_length = selected_length;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsServerContext>> TlsServerContext::New(
    absl::string_view cert_chain_pem, absl::string_view key_pem,
    absl::string_view client_ca_pem) {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot make a TLS context: ", TakeOpenSslError()));
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  uint64_t options = SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                     SSL_OP_NO_TICKET;
#ifdef SSL_OP_NO_RENEGOTIATION
  options |= SSL_OP_NO_RENEGOTIATION;
#endif
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
  // A peer that closes without close_notify has closed: HTTP/2 frames its
  // own ends, so no truncation can pass unseen.
  options |= SSL_OP_IGNORE_UNEXPECTED_EOF;
#endif
  SSL_CTX_set_options(ctx.get(), options);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
#ifndef OPENSSL_IS_BORINGSSL
  SSL_CTX_set_num_tickets(ctx.get(), 0);
#endif
  // Partial, moving writes: the relay's buffers compact between retries.
  // Released buffers: an idle connection keeps no 34 KiB of TLS records.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1) {
    return absl::InternalError(
        absl::StrCat("cannot set the TLS ciphers: ", TakeOpenSslError()));
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), SelectH2, nullptr);

  std::vector<std::unique_ptr<X509, X509Free>> chain =
      ReadCertificates(cert_chain_pem);
  if (chain.empty()) {
    return absl::InvalidArgumentError("--tls_cert holds no PEM certificate");
  }
  if (SSL_CTX_use_certificate(ctx.get(), chain.front().get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_cert: the certificate is refused: ", TakeOpenSslError()));
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--tls_cert: a chain certificate is refused: ", TakeOpenSslError()));
    }
  }
  {
    std::unique_ptr<BIO, BioFree> bio = ReadOnlyBio(key_pem);
    std::unique_ptr<EVP_PKEY, KeyFree> key(
        bio == nullptr
            ? nullptr
            : PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (key == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          "--tls_key holds no PEM private key (or it is encrypted)");
    }
    if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          "--tls_key does not match the certificate of --tls_cert");
    }
  }

  const bool verifies_clients = !client_ca_pem.empty();
  if (verifies_clients) {
    std::vector<std::unique_ptr<X509, X509Free>> cas =
        ReadCertificates(client_ca_pem);
    if (cas.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca holds no PEM certificate");
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    for (const auto& ca : cas) {
      if (X509_STORE_add_cert(store, ca.get()) != 1 ||
          SSL_CTX_add_client_CA(ctx.get(), ca.get()) != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--tls_client_ca: a certificate is refused: ", TakeOpenSslError()));
      }
    }
    SSL_CTX_set_verify(
        ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_verify_depth(ctx.get(), 8);
  }
  return std::unique_ptr<TlsServerContext>(
      new TlsServerContext(ctx.release(), verifies_clients));
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<TlsSession> TlsServerContext::NewSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  if (SSL_set_fd(ssl, fd) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::unique_ptr<TlsSession>(new TlsSession(ssl));
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsIo TlsSession::Result(int ret) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      return TlsIo::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return TlsIo::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return TlsIo::kClosed;
    default:
      last_error_ = TakeOpenSslError();
      return TlsIo::kFailed;
  }
}

TlsIo TlsSession::Handshake() {
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_);
  return ret == 1 ? TlsIo::kOk : Result(ret);
}

TlsIo TlsSession::Read(char* data, size_t size, size_t* moved) {
  ERR_clear_error();
  const int ret = SSL_read(ssl_, data, static_cast<int>(size));
  if (ret > 0) {
    *moved = static_cast<size_t>(ret);
    return TlsIo::kOk;
  }
  return Result(ret);
}

TlsIo TlsSession::Write(const char* data, size_t size, size_t* moved) {
  ERR_clear_error();
  const int ret = SSL_write(ssl_, data, static_cast<int>(size));
  if (ret > 0) {
    *moved = static_cast<size_t>(ret);
    return TlsIo::kOk;
  }
  return Result(ret);
}

bool TlsSession::HasPending() const { return SSL_has_pending(ssl_) == 1; }

void TlsSession::SendCloseNotify() {
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::vector<std::string> TlsSession::VerifiedPeerNames() const {
  if (SSL_get_verify_result(ssl_) != X509_V_OK) return {};
#if OPENSSL_VERSION_NUMBER >= 0x30000000L && !defined(OPENSSL_IS_BORINGSSL)
  std::unique_ptr<X509, X509Free> cert(SSL_get1_peer_certificate(ssl_));
#else
  std::unique_ptr<X509, X509Free> cert(SSL_get_peer_certificate(ssl_));
#endif
  if (cert == nullptr) return {};
  // Without a client CA no certificate was asked for or verified.
  if (!(SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER)) return {};
  return CommonNameAndDnsNames(cert.get());
}

}  // namespace identity::service
