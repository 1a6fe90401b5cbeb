#include "service/identity_server.h"

#include <arpa/inet.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <netdb.h>
#include <netinet/in.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/crypto.h"
#include "auth/key_encryption_key.h"
#include "auth/key_generator.h"
#include "service/command_notifier.h"
#include "service/file_outbox_notifier.h"
#include "service/grpc_handoff.h"
#include "storage/caching_store.h"
#include "storage/etcd/etcd_engine.h"
#include "storage/rocksdb_store.h"

namespace identity::service {
namespace {

namespace fs = std::filesystem;

constexpr size_t kGeneratedPasswordLength = 24;

// Stands in when no notifier is configured: says how to configure one.
class NoNotifier final : public auth::Notifier {
 public:
  absl::Status Send(const auth::Notification&) override {
    return absl::UnavailableError(
        "this server sends no verification codes: start identityd with "
        "--notify_outbox or --notify_command");
  }
};

// Logs every failed delivery (the caller gets UNAVAILABLE; the operator
// needs to see why), with the masked destination only.
class LoggingNotifier final : public auth::Notifier {
 public:
  LoggingNotifier(std::unique_ptr<auth::Notifier> inner, Logger& logger)
      : inner_(std::move(inner)), logger_(logger) {}
  absl::Status Send(const auth::Notification& notification) override {
    absl::Status status = inner_->Send(notification);
    if (!status.ok()) {
      logger_.Warning("notify_failed",
                      {{"channel", notification.channel},
                       {"to", notification.masked_destination},
                       {"user", notification.user_name},
                       {"error", std::string(status.message())}});
    }
    return status;
  }

 private:
  const std::unique_ptr<auth::Notifier> inner_;
  Logger& logger_;
};

std::unique_ptr<auth::Notifier> MakeNotifier(const ServerConfig& config,
                                             Logger& logger) {
  std::unique_ptr<auth::Notifier> notifier;
  if (!config.notify_command.empty()) {
    notifier = std::make_unique<CommandNotifier>(config.notify_command);
  } else if (!config.notify_outbox_file.empty()) {
    notifier = std::make_unique<FileOutboxNotifier>(config.notify_outbox_file);
  } else {
    notifier = std::make_unique<NoNotifier>();
  }
  return std::make_unique<LoggingNotifier>(std::move(notifier), logger);
}

// One JSON log line per committed audit event, beside the stored record.
void LogAuditEvent(Logger& logger, const storage::AuditEventRecord& event) {
  logger.Info("audit",
              {{"event_id", event.event_id()},
               {"type", storage::AuditEventRecord::Type_Name(event.type())},
               {"actor", event.actor_user_name()},
               {"user", event.user_name()},
               {"access_key_id", event.access_key_id()},
               {"peer", event.client_address()},
               {"detail", event.detail()}});
}

int DefaultThreads() { return AvailableCpus(); }

// True if every address the host of `listen_address` resolves to is a
// loopback one: a name is judged by its addresses, not its spelling
// ("127.evil.example" may resolve anywhere).
bool IsLoopback(absl::string_view listen_address) {
  const size_t colon = listen_address.rfind(':');
  std::string host(listen_address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return false;  // every interface
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  bool loopback = found != nullptr;
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    if (at->ai_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(at->ai_addr);
      loopback = loopback && (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (at->ai_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(at->ai_addr);
      loopback = loopback && (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr) ||
                              (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) &&
                               v6->sin6_addr.s6_addr[12] == 127));
    } else {
      loopback = false;
    }
  }
  freeaddrinfo(found);
  return loopback;
}

absl::StatusOr<std::string> ReadPem(const std::string& path,
                                    absl::string_view flag) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", flag, " ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// TLS or mTLS when configured (terminated by the connection relay);
// plaintext (null) only on loopback unless the operator said --insecure,
// and then with a warning.
absl::StatusOr<std::shared_ptr<const TlsServerContext>> MakeTls(
    const ServerConfig& config, Logger& logger) {
  if (config.tls_cert_file.empty()) {
    if (!IsLoopback(config.listen_address)) {
      if (!config.allow_insecure) {
        return absl::FailedPreconditionError(absl::StrCat(
            "refusing to serve plaintext on ", config.listen_address,
            ": set --tls_cert and --tls_key, or --insecure to accept that "
            "passwords and secrets cross the network unencrypted"));
      }
      logger.Warning("insecure_listen",
                     {{"listen", config.listen_address},
                      {"message",
                       "serving PLAINTEXT beyond loopback (--insecure): "
                       "passwords, tokens and secrets cross the network "
                       "unencrypted"}});
    }
    return nullptr;
  }
  absl::StatusOr<std::string> cert =
      ReadPem(config.tls_cert_file, "--tls_cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(config.tls_key_file, "--tls_key");
  if (!key.ok()) return key.status();
  std::string ca;
  if (!config.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> read =
        ReadPem(config.tls_client_ca_file, "--tls_client_ca");
    if (!read.ok()) {
      crypto::Cleanse(*key);
      return read.status();
    }
    ca = *std::move(read);
  }
  absl::StatusOr<std::unique_ptr<TlsServerContext>> tls =
      TlsServerContext::New(*cert, *key, ca);
  crypto::Cleanse(*key);
  if (!tls.ok()) return tls.status();
  return std::shared_ptr<const TlsServerContext>(*std::move(tls));
}

absl::Status CheckConfig(const ServerConfig& config) {
  if (config.data_dir.empty() == config.etcd_endpoints.empty()) {
    return absl::InvalidArgumentError(
        "give either --data_dir or --etcd_endpoints, not both");
  }
  if (config.master_key_file.empty()) {
    return absl::InvalidArgumentError("--master_key_file is required");
  }
  if (config.max_keys_per_user < 1) {
    return absl::InvalidArgumentError("--max_keys_per_user must be at least 1");
  }
  if (absl::Status s = auth::ValidateKeyAgePolicy(config.key_age_policy);
      !s.ok()) {
    return s;
  }
  if (config.key_expiry_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--key_expiry_interval must be positive");
  }
  if (absl::Status s = auth::ValidateAuditRetention(config.audit_retention);
      !s.ok()) {
    return s;
  }
  if (config.audit_retention_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "the audit retention interval must be positive");
  }
  if (config.session_ttl <= absl::ZeroDuration() ||
      config.session_purge_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--session_ttl must be positive");
  }
  if (config.password_policy.min_length < 1 ||
      config.password_policy.min_length > config.password_policy.max_length) {
    return absl::InvalidArgumentError(
        "--min_password_length must be between 1 and 256");
  }
  if (config.lockout.max_failures < 1 ||
      config.lockout.max_failures_per_name < config.lockout.max_failures ||
      config.lockout.lock_duration < absl::ZeroDuration() ||
      config.lockout.name_lock_duration < absl::ZeroDuration() ||
      config.lockout.max_lock_duration < config.lockout.lock_duration ||
      config.lockout.max_failures_per_address < 1) {
    return absl::InvalidArgumentError(
        "--lockout_threshold and --max_failures_per_address must be at "
        "least 1, --lockout_name_threshold at least --lockout_threshold, "
        "lock durations not negative and --lockout_max_duration at least "
        "--lockout_duration");
  }
  if (config.max_sessions_per_user < 1) {
    return absl::InvalidArgumentError("--max_sessions_per_user must be >= 1");
  }
  if (config.max_request_skew <= absl::ZeroDuration() ||
      config.last_use_flush_interval <= absl::ZeroDuration() ||
      config.last_use_flush_interval > absl::Seconds(5)) {
    return absl::InvalidArgumentError(
        "--max_request_skew must be positive and --last_use_flush_interval "
        "between 0 and 5s (a key's first use is recorded within 5 s)");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!config.tls_client_ca_file.empty() && config.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert");
  }
  if (!config.service_principals_file.empty() &&
      config.tls_client_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_client_principals needs --tls_client_ca: only certificates "
        "it verified may name a service");
  }
  if (!config.notify_command.empty() && !config.notify_outbox_file.empty()) {
    return absl::InvalidArgumentError(
        "--notify_command and --notify_outbox exclude each other");
  }
  if (config.tls_handshake_timeout <= absl::ZeroDuration() ||
      config.max_tls_handshakes < 1) {
    return absl::InvalidArgumentError(
        "--tls_handshake_timeout must be positive and --max_tls_handshakes "
        "at least 1");
  }
  if (config.max_connections < 1 || config.max_streams_per_connection < 1 ||
      config.max_open_streams < 1 || config.max_resets_per_second < 1 ||
      config.grpc_memory_quota_mib < 16) {
    return absl::InvalidArgumentError(
        "--max_connections, --max_streams_per_connection, --max_open_streams "
        "and --max_stream_resets_per_second must be at least 1, "
        "--grpc_memory_quota_mib at least 16");
  }
  if (config.worker_threads < 0 || config.session_worker_threads < 0 ||
      config.max_queued_calls < 1) {
    return absl::InvalidArgumentError(
        "--worker_threads must be >= 0 and the queue at least 1");
  }
  if (config.data_dir.empty()) return absl::OkStatus();  // etcd
  // The KEK must not travel with the data: a copied data directory alone
  // must not be enough to read the secrets.
  std::error_code error;
  const fs::path data = fs::weakly_canonical(config.data_dir, error);
  const fs::path kek = fs::weakly_canonical(config.master_key_file, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve paths: ", error.message()));
  }
  const std::string data_prefix = data.string() + "/";
  if (kek == data || absl::StartsWith(kek.string(), data_prefix)) {
    return absl::InvalidArgumentError(
        "--master_key_file must lie outside --data_dir");
  }
  return absl::OkStatus();
}

// Loads the KEK file, creating a dev key only for a store that holds nothing
// yet: with data present, a missing key file is an operator error (a failed
// mount, a wrong path), and a new key would orphan every stored secret.
absl::StatusOr<std::vector<auth::KeyEncryptionKey>> LoadOrCreateKek(
    const std::string& path, storage::Store& store, Logger& logger) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    absl::StatusOr<bool> has_users = store.HasUsers();
    if (!has_users.ok()) return has_users.status();
    if (*has_users) {
      return absl::FailedPreconditionError(absl::StrCat(
          "key-encryption key file ", path,
          " is missing but the store holds data: restore the file; a new "
          "key would leave every stored secret unreadable"));
    }
    if (absl::Status s = auth::CreateKeyEncryptionKeyFile(path); !s.ok()) {
      return s;
    }
    logger.Warning(
        "dev_master_key_generated",
        {{"path", path},
         {"message",
          "GENERATED A DEVELOPMENT KEY-ENCRYPTION KEY. For production, create "
          "the key yourself, keep it off the data volume and back it up: "
          "without it no stored secret can be read."}});
  }
  return auth::ReadKeyEncryptionKeyFile(path);
}

}  // namespace

absl::StatusOr<std::unique_ptr<IdentityServer>> IdentityServer::Start(
    const ServerConfig& config, Logger& logger) {
  std::unique_ptr<IdentityServer> server(new IdentityServer());
  if (absl::Status s = server->Init(config, logger); !s.ok()) return s;
  return server;
}

// The engine the config names: RocksDB in data_dir, or the etcd cluster.
absl::StatusOr<std::unique_ptr<storage::Store>> OpenStore(
    const ServerConfig& config,
    std::function<void(const storage::AuditEventRecord&)> audit_observer) {
  if (!config.etcd_endpoints.empty()) {
    storage::EtcdEngineOptions options;
    options.endpoints = config.etcd_endpoints;
    options.prefix = config.etcd_prefix;
    options.ca_file = config.etcd_ca_file;
    options.cert_file = config.etcd_cert_file;
    options.key_file = config.etcd_key_file;
    absl::StatusOr<std::unique_ptr<storage::Store>> store =
        storage::OpenEtcdStore(options, std::move(audit_observer));
    if (!store.ok()) return store.status();
    // Other replicas write the same records unseen here: entries live
    // under a second (the freshness rule for revocations made elsewhere);
    // this replica's own writes invalidate at once.
    return storage::NewCachingStore(
        *std::move(store),
        storage::CachingStoreOptions{
            config.record_cache_entries, config.etcd_record_cache_max_age, {}});
  }
  std::error_code error;
  fs::create_directories(config.data_dir, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create --data_dir ", config.data_dir, ": ", error.message()));
  }
  fs::permissions(config.data_dir, fs::perms::owner_all,
                  fs::perm_options::replace, error);
  storage::RocksDbStoreOptions options;
  options.path = config.data_dir;
  options.sync_writes = config.sync_writes;
  options.env = config.store_env;
  options.audit_observer = std::move(audit_observer);
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::OpenRocksDbStore(options);
  if (!store.ok()) return store.status();
  // This process alone writes the store: every change goes through the
  // cache and invalidates it, so entries need no age limit.
  return storage::NewCachingStore(
      *std::move(store),
      storage::CachingStoreOptions{
          config.record_cache_entries, absl::ZeroDuration(), {}});
}

absl::Status IdentityServer::Init(const ServerConfig& config, Logger& logger) {
  if (absl::Status s = CheckConfig(config); !s.ok()) return s;

  if (!config.metrics_listen.empty()) {
    metrics_ = std::make_unique<ServerMetrics>();
  }
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      OpenStore(config, [&logger, metrics = metrics_.get()](
                            const storage::AuditEventRecord& event) {
        LogAuditEvent(logger, event);
        if (metrics != nullptr) metrics->RecordAuditEvent(event);
      });
  if (!store.ok()) return store.status();
  store_ = *std::move(store);

  absl::StatusOr<std::vector<auth::KeyEncryptionKey>> keks =
      LoadOrCreateKek(config.master_key_file, *store_, logger);
  if (!keks.ok()) return keks.status();
  absl::StatusOr<std::unique_ptr<auth::SecretSealer>> sealer =
      auth::SecretSealer::New(*std::move(keks));
  if (!sealer.ok()) return sealer.status();
  sealer_ = *std::move(sealer);

  const auth::Clock& clock =
      config.clock != nullptr ? *config.clock : real_clock_;
  hasher_ = std::make_unique<auth::PasswordHasher>(config.argon2);
  sessions_ = std::make_unique<auth::SessionManager>(
      *store_, clock, auth::SystemRandom(), config.session_ttl,
      config.max_sessions_per_user);
  throttle_ = std::make_unique<auth::LoginThrottle>(*store_, clock, *sealer_,
                                                    config.lockout);
  notifier_ = MakeNotifier(config, logger);
  codes_ = std::make_unique<auth::VerificationCodes>(
      *store_, *sealer_, clock, auth::SystemRandom(), *notifier_,
      config.verification_codes);
  mfa_ = std::make_unique<auth::MfaDevices>(
      *store_, *sealer_, clock, auth::SystemRandom(), config.mfa_issuer);
  audit_trail_ = std::make_unique<auth::AuditTrail>(*store_);
  if (!config.service_principals_file.empty()) {
    absl::StatusOr<auth::ServicePrincipals> services =
        auth::ServicePrincipals::ReadFile(config.service_principals_file);
    if (!services.ok()) return services.status();
    services_ = *std::move(services);
  }
  absl::StatusOr<std::unique_ptr<auth::Authenticator>> authenticator =
      auth::Authenticator::New(*store_, *hasher_, *sessions_, *throttle_, *mfa_,
                               *codes_,
                               services_.has_value() ? &*services_ : nullptr);
  if (!authenticator.ok()) return authenticator.status();
  authenticator_ = *std::move(authenticator);
  access_keys_ = std::make_unique<auth::AccessKeyManager>(
      *store_, *sealer_, clock, auth::SystemRandom(), config.max_keys_per_user,
      config.key_age_policy);
  users_ = std::make_unique<auth::UserManager>(*store_, *hasher_, *throttle_,
                                               clock, auth::SystemRandom(),
                                               config.password_policy);
  credential_report_ = std::make_unique<auth::CredentialReport>(
      *store_, *users_, clock, config.key_age_policy);

  std::string password = config.bootstrap_password;
  const bool generate = password.empty();
  if (generate) {
    absl::StatusOr<std::string> random = auth::RandomString(
        auth::SystemRandom(), auth::kAlphanumeric, kGeneratedPasswordLength);
    if (!random.ok()) return random.status();
    password = *std::move(random);
  }
  absl::StatusOr<bool> bootstrapped =
      users_->BootstrapAdmin(config.bootstrap_admin, password);
  if (!bootstrapped.ok()) {
    crypto::Cleanse(password);
    return absl::Status(
        bootstrapped.status().code(),
        absl::StrCat("bootstrap admin: ", bootstrapped.status().message()));
  }
  if (*bootstrapped) {
    logger.Info("bootstrap_admin_created",
                {{"user_name", config.bootstrap_admin}});
    if (generate) generated_admin_password_ = password;
  }
  crypto::Cleanse(password);

  const int threads =
      config.worker_threads > 0 ? config.worker_threads : DefaultThreads();
  const int session_threads = config.session_worker_threads > 0
                                  ? config.session_worker_threads
                                  : DefaultThreads();
  // The password pool's CPU weight against every other thread (see
  // ServerConfig::password_pool_nice).
  password_pool_ = std::make_unique<WorkerPool>(
      threads, config.max_queued_calls, config.password_pool_nice);
  session_pool_ =
      std::make_unique<WorkerPool>(session_threads, config.max_queued_calls);
  runner_ = std::make_unique<CallRunner>(
      *password_pool_, *session_pool_, *authenticator_, logger, metrics_.get(),
      [this](absl::string_view grpc_peer)
          -> std::optional<CallRunner::CallerConnection> {
        const ConnectionRelay* relay = peer_relay_.load();
        if (relay == nullptr) return std::nullopt;  // not relayed
        std::optional<ConnectionRelay::RelayedPeer> relayed =
            relay->Lookup(grpc_peer);
        if (!relayed.has_value()) return std::nullopt;
        return CallRunner::CallerConnection{
            std::move(relayed->client_peer),
            std::move(relayed->certificate_subjects)};
      });
  // An etcd read is a network round trip: never on a reaction thread.
  runner_->set_reads_on_reaction_thread(config.etcd_endpoints.empty());
  access_key_service_ = std::make_unique<AccessKeyServiceImpl>(
      *runner_, *access_keys_, *credential_report_);
  user_service_ = std::make_unique<UserServiceImpl>(*runner_, *users_, *mfa_);
  session_service_ =
      std::make_unique<SessionServiceImpl>(*runner_, *sessions_, *codes_);
  audit_service_ = std::make_unique<AuditServiceImpl>(*runner_, *audit_trail_);
  auth::LastUseRecorderOptions last_use;
  last_use.flush_interval = config.last_use_flush_interval;
  last_use_ = std::make_unique<auth::LastUseRecorder>(*store_, clock, last_use);
  signature_verifier_ = std::make_unique<auth::SignatureVerifier>(
      *store_, *sealer_, clock, last_use_.get(),
      auth::SignatureCheckOptions{config.max_request_skew},
      config.signing_key_cache_entries);
  signature_service_ = std::make_unique<SignatureServiceImpl>(
      *runner_, *signature_verifier_, metrics_.get());
  purge_thread_ = std::thread([this, &logger, config] {
    PurgeSessionsUntilStopped(config.session_purge_interval, logger);
  });
  rewrap_job_ = std::make_unique<auth::SecretRewrapJob>(
      *store_, *sealer_, clock, [&logger](const auth::SecretRewrapRun& run) {
        // Counts and KEK ids only; the audit event holds the same.
        logger.Notice("secret_rewrap",
                      {{"started_by", run.started_by},
                       {"dry_run", run.dry_run ? "true" : "false"},
                       {"error", run.error},
                       {"summary", auth::SecretRewrapSummary(run.result)},
                       {"seconds", absl::StrCat(absl::ToDoubleSeconds(
                                       run.end_time - run.start_time))}});
      });
  kek_service_ =
      std::make_unique<KeyEncryptionKeyServiceImpl>(*runner_, *rewrap_job_);
  auth::KeyExpiryPassOptions expiry_options;
  expiry_options.interval = config.key_expiry_interval;
  key_expiry_ = std::make_unique<auth::KeyExpiryPass>(
      *store_, clock,
      config.notify_command.empty() && config.notify_outbox_file.empty()
          ? nullptr
          : notifier_.get(),
      config.key_age_policy, expiry_options);
  key_expiry_->Start(
      [&logger](const absl::StatusOr<auth::KeyExpiryPassResult>& pass) {
        if (!pass.ok()) {
          logger.Warning("key_expiry_pass_failed",
                         {{"error", std::string(pass.status().message())}});
          return;
        }
        if (pass->expiries_recorded + pass->deactivations + pass->warnings +
                pass->notices_failed ==
            0) {
          return;
        }
        logger.Info("key_expiry_pass",
                    {{"keys", absl::StrCat(pass->keys_seen)},
                     {"expired", absl::StrCat(pass->expiries_recorded)},
                     {"deactivated", absl::StrCat(pass->deactivations)},
                     {"warned", absl::StrCat(pass->warnings)},
                     {"notices_failed", absl::StrCat(pass->notices_failed)}});
      });
  auth::AuditRetentionOptions retention_options;
  retention_options.retention = config.audit_retention;
  retention_options.interval = config.audit_retention_interval;
  audit_retention_ = std::make_unique<auth::AuditRetentionPass>(
      *store_, clock, retention_options);
  audit_retention_->Start(
      [&logger](const absl::StatusOr<auth::AuditRetentionPassResult>& pass) {
        if (!pass.ok()) {
          logger.Warning("audit_retention_pass_failed",
                         {{"error", std::string(pass.status().message())}});
          return;
        }
        if (pass->cutoff_held_back) {
          logger.Warning(
              "audit_retention_cutoff_held_back",
              {{"cutoff", absl::FormatTime(absl::RFC3339_sec, pass->cutoff,
                                           absl::UTCTimeZone())},
               {"message",
                "the clock ran ahead of the time elapsed; events are kept "
                "until it agrees again or identityd restarts"}});
        }
        if (pass->events_deleted == 0) return;
        logger.Info(
            "audit_retention_pass",
            {{"deleted", absl::StrCat(pass->events_deleted)},
             {"batches", absl::StrCat(pass->batches)},
             {"cutoff", absl::FormatTime(absl::RFC3339_sec, pass->cutoff,
                                         absl::UTCTimeZone())},
             {"more_left", pass->more_left ? "true" : "false"}});
      });

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  absl::StatusOr<std::shared_ptr<const TlsServerContext>> tls =
      MakeTls(config, logger);
  if (!tls.ok()) return tls.status();
  // gRPC listens on no port: relay_ (see connection_relay.h) listens on
  // config.listen_address, terminates TLS, checks HTTP/2 framing and hands
  // gRPC each connection it accepted (plaintext, on loopback). Calls on
  // connections the relay does not hold are refused too (see CallRunner).
  // The one use of ServerBuilder::experimental() in identityd.
  std::shared_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor =
      builder.experimental().AddExternalConnectionAcceptor(
          grpc::ServerBuilder::experimental_type::ExternalConnectionType::
              FROM_FD,
          grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(config.max_receive_message_bytes);
  // Honest clients queue their calls behind this; the relay enforces it
  // (gRPC 1.51 only does once the client acknowledged its SETTINGS).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             config.max_streams_per_connection);
  grpc::ResourceQuota quota("identityd");
  quota.Resize(static_cast<size_t>(config.grpc_memory_quota_mib) << 20);
  builder.SetResourceQuota(quota);
  builder.RegisterService(access_key_service_.get());
  builder.RegisterService(user_service_.get());
  builder.RegisterService(session_service_.get());
  builder.RegisterService(audit_service_.get());
  builder.RegisterService(signature_service_.get());
  builder.RegisterService(kek_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || acceptor == nullptr) {
    return absl::UnavailableError("cannot start gRPC");
  }
  ConnectionRelayOptions relay_options;
  relay_options.listen_address = config.listen_address;
  relay_options.hand_to_backend = HandToGrpc(acceptor);
  relay_options.max_connections = config.max_connections;
  relay_options.tls = *std::move(tls);
  relay_options.tls_handshake_timeout = config.tls_handshake_timeout;
  relay_options.max_tls_handshakes = config.max_tls_handshakes;
  relay_options.max_streams_per_connection = config.max_streams_per_connection;
  relay_options.max_open_streams = config.max_open_streams;
  relay_options.max_resets_per_second = config.max_resets_per_second;
  absl::StatusOr<std::unique_ptr<ConnectionRelay>> relay =
      ConnectionRelay::Start(relay_options, logger);
  if (!relay.ok()) return relay.status();
  relay_ = *std::move(relay);
  peer_relay_ = relay_.get();
  port_ = relay_->port();
  // A connection flood leaves what gRPC allocated for it in malloc's free
  // lists; give it back once the churn is over (hostile_network_test).
  memory_returner_ = std::make_unique<MemoryReturner>(
      [relay = relay_.get()] {
        const ConnectionRelay::Stats stats = relay->stats();
        return stats.accepted + stats.refused_at_limit +
               stats.refused_at_handshake_limit;
      },
      /*threshold=*/64, absl::Seconds(1));
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  const std::vector<std::string> services = {
      "identity.v1.AccessKeyService", "identity.v1.UserService",
      "identity.v1.SessionService",   "identity.v1.AuditService",
      "identity.v1.SignatureService", "identity.v1.KeyEncryptionKeyService"};
  for (const std::string& name : services) {
    health->SetServingStatus(name, true);
  }
  store_health_ = std::make_unique<StoreHealthMonitor>(
      *store_, *health, services, config.store_check_interval,
      config.store_unwritable_limit, config.on_store_unrecoverable, logger);
  if (metrics_ != nullptr) {
    if (absl::Status s = ServeMetrics(config.metrics_listen); !s.ok()) {
      return s;
    }
  }
  logger.Notice("serving",
                {{"listen", config.listen_address},
                 {"port", absl::StrCat(port_)},
                 {"metrics_port", absl::StrCat(metrics_port_)},
                 {"worker_threads", absl::StrCat(threads)},
                 {"max_connections", absl::StrCat(config.max_connections)},
                 {"transport", config.tls_cert_file.empty()        ? "plaintext"
                               : config.tls_client_ca_file.empty() ? "tls"
                                                                   : "mtls"},
                 {"kek_id", sealer_->sealing_key_id()}});
  return absl::OkStatus();
}

absl::Status IdentityServer::ServeMetrics(const std::string& address) {
  for (const auto& named_pool :
       {std::pair<const char*, WorkerPool*>{"password", password_pool_.get()},
        {"session", session_pool_.get()}}) {
    // Copies: C++17 lambdas cannot capture structured bindings.
    const char* name = named_pool.first;
    WorkerPool* pool = named_pool.second;
    metrics_->AddGauge("identity_worker_queue_depth",
                       "Calls waiting for a worker, by pool.", {{"pool", name}},
                       [pool] { return static_cast<double>(pool->queued()); });
    metrics_->AddCounter(
        "identity_worker_rejections_total",
        "Calls answered RESOURCE_EXHAUSTED because the pool's queue was "
        "full, by pool.",
        {{"pool", name}},
        [pool] { return static_cast<double>(pool->rejected()); });
  }
  metrics_->AddCounter(
      "identity_argon2_verifications_total",
      "Password checks that computed Argon2id (a sign-in refused before "
      "hashing, e.g. while locked, is not one).",
      {}, [hasher = hasher_.get()] {
        return static_cast<double>(hasher->verifications());
      });
  metrics_->AddCounter(
      "identity_audit_events_purged_total",
      "Audit events this process deleted as older than --audit_retention "
      "(each deletion is counted by one replica only).",
      {}, [pass = audit_retention_.get()] {
        return static_cast<double>(pass->events_deleted());
      });
  // civetweb reports a port it cannot bind by throwing.
  try {
    // Several threads, and a slow client dropped after 2 s: with one
    // thread and civetweb's 30 s default, one client that sends half a
    // request held up every scrape.
    metrics_exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", address, "num_threads", "8",
                                 "request_timeout_ms", "2000"});
  } catch (const std::exception& error) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on --metrics_listen ", address, ": ",
                     error.what()));
  }
  for (const std::weak_ptr<prometheus::Collectable>& collectable :
       metrics_->collectables()) {
    metrics_exposer_->RegisterCollectable(collectable);
  }
  std::vector<int> ports = metrics_exposer_->GetListeningPorts();
  metrics_port_ = ports.empty() ? 0 : ports.front();
  return absl::OkStatus();
}

void IdentityServer::PurgeSessionsUntilStopped(absl::Duration interval,
                                               Logger& logger) {
  do {
    absl::StatusOr<int> purged = sessions_->PurgeExpired();
    if (!purged.ok()) {
      logger.Warning("session_purge_failed",
                     {{"error", std::string(purged.status().message())}});
    } else if (*purged > 0) {
      logger.Info("sessions_purged", {{"count", absl::StrCat(*purged)}});
    }
  } while (!stop_purging_.WaitForNotificationWithTimeout(interval));
}

std::optional<std::string> IdentityServer::TakeGeneratedAdminPassword() {
  std::optional<std::string> password = std::move(generated_admin_password_);
  generated_admin_password_.reset();
  return password;
}

void IdentityServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  // First, as scrapes read the pools and the hasher.
  metrics_exposer_.reset();
  store_health_.reset();
  if (server_ != nullptr) {
    // Tell load balancers first, then wait for in-flight calls: with the
    // callback API, Shutdown returns once every started call has finished.
    server_->GetHealthCheckService()->Shutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  }
  // After gRPC's drain, which reaches clients through it.
  if (relay_ != nullptr) relay_->Stop();
  memory_returner_.reset();
  // Run what was queued, join the workers.
  password_pool_.reset();
  session_pool_.reset();
  server_.reset();
  if (purge_thread_.joinable()) {
    stop_purging_.Notify();
    purge_thread_.join();
  }
  key_expiry_.reset();  // stops its pass before the store closes
  audit_retention_.reset();
  rewrap_job_.reset();  // likewise: a run stops after its batch
  last_use_.reset();    // writes what is pending, before the store closes
  store_.reset();       // closes RocksDB cleanly
}

IdentityServer::~IdentityServer() { Shutdown(absl::Seconds(5)); }

}  // namespace identity::service
