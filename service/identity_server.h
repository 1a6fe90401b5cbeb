#ifndef IDENTITY_SERVICE_IDENTITY_SERVER_H_
#define IDENTITY_SERVICE_IDENTITY_SERVER_H_

#include <grpcpp/grpcpp.h>
#include <prometheus/exposer.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/access_key_manager.h"
#include "auth/audit_retention_pass.h"
#include "auth/audit_trail.h"
#include "auth/authenticator.h"
#include "auth/clock.h"
#include "auth/credential_report.h"
#include "auth/key_expiry_pass.h"
#include "auth/last_use_recorder.h"
#include "auth/password_hasher.h"
#include "auth/secret_rewrap_job.h"
#include "auth/secret_sealer.h"
#include "auth/session_manager.h"
#include "auth/signature_verifier.h"
#include "auth/user_manager.h"
#include "service/access_key_service.h"
#include "service/audit_service.h"
#include "service/call_runner.h"
#include "service/connection_relay.h"
#include "service/key_encryption_key_service.h"
#include "service/logger.h"
#include "service/metrics.h"
#include "service/process_memory.h"
#include "service/session_service.h"
#include "service/signature_service.h"
#include "service/store_health_monitor.h"
#include "service/user_service.h"
#include "service/worker_pool.h"
#include "storage/rocksdb_store.h"
#include "storage/store.h"

namespace identity::service {

struct ServerConfig {
  // host:port; port 0 picks a free one (see IdentityServer::port()).
  std::string listen_address = "127.0.0.1:50051";
  // TLS: PEM files of the server's certificate chain and key. With a client
  // CA, clients must present a certificate it signed (mTLS), and
  // `service_principals_file` maps certificate subjects to services (see
  // auth/service_principals.h).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  std::string service_principals_file;
  // Plaintext is served on loopback only, unless this is set.
  bool allow_insecure = false;
  // The store: a RocksDB directory (created if missing), or an etcd
  // cluster shared by any number of replicas; exactly one of the two.
  std::string data_dir;
  std::vector<std::string> etcd_endpoints;
  std::string etcd_prefix = "/identity/";
  // etcd's client TLS (PEM files); no CA: plaintext to etcd.
  std::string etcd_ca_file;
  std::string etcd_cert_file;
  std::string etcd_key_file;
  // Sessions, users, keys and key lists kept in memory per record kind
  // (storage/caching_store.h); 0: every read goes to the store.
  size_t record_cache_entries = 100000;
  // With etcd, how long a cached record may be served before it is read
  // again: the bound on seeing another replica's change.
  absl::Duration etcd_record_cache_max_age = absl::Milliseconds(500);
  // Key-encryption key file; must lie outside data_dir. Generated (as a dev
  // key, with a warning) only when missing and the store is new.
  std::string master_key_file;
  // The admin a fresh store is given.
  std::string bootstrap_admin = "admin";
  // That admin's password; when empty a random one is generated and handed
  // out once through TakeGeneratedAdminPassword().
  std::string bootstrap_password;
  int max_keys_per_user = auth::kDefaultMaxKeysPerUser;
  // Key expiry and rotation warnings (see auth/access_key_lifetime.h), and
  // how often the background pass records expiries, carries out scheduled
  // deactivations and sends warnings (see auth/key_expiry_pass.h).
  auth::KeyAgePolicy key_age_policy;
  absl::Duration key_expiry_interval = absl::Minutes(10);
  // Audit events older than this are deleted by a background pass every
  // audit_retention_interval (see auth/audit_retention_pass.h); infinite:
  // kept forever. At least a day (auth::kMinAuditRetention).
  absl::Duration audit_retention = absl::Hours(400 * 24);
  absl::Duration audit_retention_interval = absl::Hours(1);
  // Threads for calls that present a password (Argon2); 0 means one per
  // core.
  int worker_threads = 0;
  // Threads for calls that present a session token; 0 means one per core.
  int session_worker_threads = 0;
  // Linux nice of the password pool's threads (0-19), which sets the share
  // of the CPU Argon2 gets when cheap calls saturate it too (CFS weights:
  // nice 0 is 1024, 5 is 335, 10 is 110). 5: with reads saturating 2
  // cores, creates kept 0.6-1.0 of their rate alone and reads 0.6-0.7 x E;
  // at 10 creates fell to 0.2-0.4, at 0 reads to 0.4-0.6
  // (tests/bench/ab_create_under_list.sh; deploy/README.md, Performance).
  int password_pool_nice = 5;
  // Calls waiting for a worker beyond which new calls get RESOURCE_EXHAUSTED.
  int max_queued_calls = 256;
  int max_receive_message_bytes = 64 * 1024;
  // What one client may hold (see connection_relay.h): connections at once
  // (the caller lowers it to fit the descriptor limit), HTTP/2 streams per
  // connection and in all, RST_STREAM frames per second per connection.
  int max_connections = 1024;
  int max_streams_per_connection = 100;
  int max_open_streams = 4096;
  int max_resets_per_second = 100;
  // TLS handshakes: how long one may take, and how many may be in
  // progress at once (see connection_relay.h).
  absl::Duration tls_handshake_timeout = absl::Seconds(10);
  int max_tls_handshakes = 256;
  // gRPC's resource quota: the memory its transports may take.
  int grpc_memory_quota_mib = 256;
  auth::Argon2Params argon2 = auth::kOwaspArgon2Params;
  auth::PasswordPolicy password_policy;
  absl::Duration session_ttl = auth::kDefaultSessionTtl;
  int max_sessions_per_user = auth::kDefaultMaxSessionsPerUser;
  auth::LockoutPolicy lockout;
  auth::VerificationCodePolicy verification_codes;
  // Where verification codes go: a JSON-lines file (development) or an
  // operator's program (see command_notifier.h). With neither, sending a
  // code fails with UNAVAILABLE.
  std::string notify_outbox_file;
  std::string notify_command;
  // The issuer name authenticator apps show next to the account.
  std::string mfa_issuer = "identity";
  // How often expired sessions are deleted (they are refused as soon as
  // they expire; this only reclaims their space).
  absl::Duration session_purge_interval = absl::Minutes(10);
  // host:port to serve Prometheus metrics on (GET /metrics, plain HTTP);
  // empty: no metrics. Port 0 picks a free one (see metrics_port()).
  std::string metrics_listen;
  // Off only for benchmarks that measure something other than fsync.
  bool sync_writes = true;
  // VerifySignature: how far a header-signed request's time may be from
  // ours, and how often key last-use is written (coalesced per key).
  absl::Duration max_request_skew = auth::kDefaultMaxRequestSkew;
  absl::Duration last_use_flush_interval = absl::Seconds(1);
  // Signing keys (V2 secrets, SigV4 derived keys) kept in memory for
  // VerifySignature; 0: every verification opens the sealed secret.
  size_t signing_key_cache_entries = 10000;
  // How often the store is checked for writability (Health follows it),
  // and how long it may stay unwritable before `on_store_unrecoverable`
  // runs (the daemon exits for its supervisor to restart it; null: never).
  absl::Duration store_check_interval = absl::Seconds(1);
  absl::Duration store_unwritable_limit = absl::Minutes(1);
  std::function<void()> on_store_unrecoverable;
  // RocksDB's file I/O environment; null: the default. Tests inject faults.
  rocksdb::Env* store_env = nullptr;
  // The time source; null means the wall clock. Tests inject a fake one.
  const auth::Clock* clock = nullptr;
};

// identityd: the store, the auth layer and the gRPC services, with health
// checking and server reflection, serving until Shutdown().
class IdentityServer {
 public:
  static absl::StatusOr<std::unique_ptr<IdentityServer>> Start(
      const ServerConfig& config, Logger& logger);

  // Shuts down with a short grace period if Shutdown() was not called.
  ~IdentityServer();

  int port() const { return port_; }
  // The metrics port; 0 when metrics are off.
  int metrics_port() const { return metrics_port_; }
  // What the front door (accept loop, TLS, HTTP/2 guard) has done so far.
  ConnectionRelay::Stats relay_stats() const { return relay_->stats(); }
  // The relay's private listener (127.0.0.1), for tests.
  int relay_private_port() const { return relay_->private_port(); }

  // Calls handed to the worker pool so far (for tests and metrics).
  uint64_t calls_accepted() const {
    return runner_ != nullptr ? runner_->calls_accepted() : 0;
  }

  // The generated bootstrap admin password, once: the caller shows it to the
  // operator. nullopt if none was generated or it was already taken.
  std::optional<std::string> TakeGeneratedAdminPassword();

  // Stops taking calls; in-flight calls get until `grace` to finish, then are
  // cancelled. Then drains the worker pool and closes the store.
  void Shutdown(absl::Duration grace);

 private:
  IdentityServer() = default;

  absl::Status Init(const ServerConfig& config, Logger& logger);
  // Serves `metrics_` on `address`, with the pools' and hasher's figures.
  absl::Status ServeMetrics(const std::string& address);
  void PurgeSessionsUntilStopped(absl::Duration interval, Logger& logger);

  auth::RealClock real_clock_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<auth::PasswordHasher> hasher_;
  std::unique_ptr<auth::SecretSealer> sealer_;
  std::unique_ptr<auth::SessionManager> sessions_;
  std::unique_ptr<auth::LoginThrottle> throttle_;
  std::unique_ptr<auth::Notifier> notifier_;
  std::unique_ptr<auth::VerificationCodes> codes_;
  std::unique_ptr<auth::MfaDevices> mfa_;
  std::unique_ptr<auth::AuditTrail> audit_trail_;
  std::optional<auth::ServicePrincipals> services_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<auth::AccessKeyManager> access_keys_;
  std::unique_ptr<auth::CredentialReport> credential_report_;
  std::unique_ptr<auth::KeyExpiryPass> key_expiry_;
  std::unique_ptr<auth::AuditRetentionPass> audit_retention_;
  std::unique_ptr<auth::UserManager> users_;
  std::unique_ptr<auth::LastUseRecorder> last_use_;
  std::unique_ptr<auth::SignatureVerifier> signature_verifier_;
  std::unique_ptr<WorkerPool> password_pool_;
  std::unique_ptr<WorkerPool> session_pool_;
  std::unique_ptr<CallRunner> runner_;
  std::unique_ptr<AccessKeyServiceImpl> access_key_service_;
  std::unique_ptr<UserServiceImpl> user_service_;
  std::unique_ptr<SessionServiceImpl> session_service_;
  std::unique_ptr<AuditServiceImpl> audit_service_;
  std::unique_ptr<SignatureServiceImpl> signature_service_;
  std::unique_ptr<auth::SecretRewrapJob> rewrap_job_;
  std::unique_ptr<KeyEncryptionKeyServiceImpl> kek_service_;
  std::unique_ptr<grpc::Server> server_;
  // Stopped by Shutdown() after gRPC's drain, which reaches clients
  // through it.
  std::unique_ptr<ConnectionRelay> relay_;
  // relay_ for the calls' peer lookups, which may run (and then refuse)
  // before relay_ is set.
  std::atomic<const ConnectionRelay*> peer_relay_{nullptr};
  std::unique_ptr<StoreHealthMonitor> store_health_;
  std::unique_ptr<MemoryReturner> memory_returner_;
  std::unique_ptr<prometheus::Exposer> metrics_exposer_;
  int metrics_port_ = 0;
  absl::Notification stop_purging_;
  std::thread purge_thread_;
  std::optional<std::string> generated_admin_password_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_IDENTITY_SERVER_H_
