// identityd: the identity service daemon.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/access_key_lifetime.h"
#include "auth/crypto.h"
#include "service/break_glass.h"
#include "service/descriptor_budget.h"
#include "service/host_rewrap.h"
#include "service/identity_server.h"
#include "service/logger.h"
#include "service/server_process.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on (host:port).");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain to serve TLS with (with --tls_key).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: clients must present a certificate it signed "
          "(mTLS).");
ABSL_FLAG(std::string, tls_client_principals, "",
          "File of \"<certificate subject> <admin|reader>\" lines: client "
          "certificates (CN or DNS SAN) that act as services.");
ABSL_FLAG(bool, insecure, false,
          "Allow plaintext on an address other than loopback (logs a "
          "warning): passwords and secrets would cross the network "
          "unencrypted.");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the embedded RocksDB store (default "
          "/var/lib/identity unless --etcd_endpoints is given; giving both "
          "is an error).");
ABSL_FLAG(std::string, etcd_endpoints, "",
          "Comma-separated host:port of the etcd v3 cluster members to keep "
          "the store in, shared by every identityd replica, instead of "
          "--data_dir.");
ABSL_FLAG(std::string, etcd_prefix, "/identity/",
          "Every key this service stores in etcd starts with it.");
ABSL_FLAG(std::string, etcd_ca, "",
          "PEM CA of the etcd members' certificates: TLS to etcd.");
ABSL_FLAG(std::string, etcd_cert, "",
          "PEM client certificate for etcd (with --etcd_key).");
ABSL_FLAG(std::string, etcd_key, "", "PEM private key of --etcd_cert.");
ABSL_FLAG(int64_t, record_cache_entries, 100000,
          "Sessions, users, access keys and key lists kept in memory, per "
          "kind, so hot records are not read from the store on every call "
          "(each change made here invalidates them before it returns; with "
          "--etcd_endpoints they are also read again after 500 ms, so a "
          "change on another replica is seen within a second); 0 turns the "
          "cache off.");
ABSL_FLAG(std::string, master_key_file, "/etc/identity/master.key",
          "Key-encryption key file (mode 0600, outside --data_dir). Created "
          "as a development key if missing while the store is empty.");
ABSL_FLAG(std::string, bootstrap_admin, "admin",
          "Name of the admin user a fresh store is given.");
ABSL_FLAG(std::string, user, "admin",
          "reset-admin only: the admin to unlock and give a new password.");
ABSL_FLAG(bool, dry_run, false,
          "rewrap only: count the secrets by KEK id and write nothing.");
ABSL_FLAG(bool, verify, false,
          "rewrap only: also open every secret already under the first KEK "
          "line, proving they all open before the other lines are removed.");
ABSL_FLAG(int64_t, rewrap_progress_every, 10000,
          "rewrap only: a progress line on stderr every this many secrets.");
ABSL_FLAG(int, rewrap_batch_size, 500,
          "rewrap only: access keys read and re-sealed per batch (one "
          "durable commit each on RocksDB; several on etcd, whose "
          "transactions hold at most --max-txn-ops operations).");
ABSL_FLAG(std::string, bootstrap_password_file, "",
          "File holding the bootstrap admin's password. If empty, a random "
          "password is generated and printed once.");
ABSL_FLAG(int, max_keys_per_user, 2,
          "Access keys a user may hold, active and inactive alike.");
ABSL_FLAG(absl::Duration, max_access_key_age, absl::InfiniteDuration(),
          "Longest life of a new access key, e.g. 2160h (90 days): keys "
          "created without an expiry get this one, and a requested expiry "
          "may not lie further out. inf: off. Not retroactive: keys created "
          "before it was set keep theirs.");
ABSL_FLAG(absl::Duration, warn_access_key_age, absl::ZeroDuration(),
          "Age past which a key is reported as due for rotation and its "
          "owner told once (email where bound, else SMS). 0: 80% of "
          "--max_access_key_age (off when that is off); inf: off.");
ABSL_FLAG(absl::Duration, key_expiry_interval, absl::Minutes(10),
          "How often the key expiry pass runs: it records expiries in the "
          "audit trail, carries out scheduled deactivations and sends the "
          "age warnings. Keys are refused the moment they expire, whatever "
          "this is.");
ABSL_FLAG(absl::Duration, audit_retention, absl::Hours(400 * 24),
          "Audit events older than this are deleted by a background pass "
          "(hourly, in batches), e.g. 9600h (400 days, the default) or "
          "2160h (90 days); inf: kept forever. At least 24h.");
ABSL_FLAG(int, worker_threads, 0,
          "Threads for calls that present a password: Argon2 (0: one per "
          "core).");
ABSL_FLAG(int, password_pool_nice, 5,
          "Linux nice (0-19) of the threads that check passwords (Argon2): "
          "their share of the CPU when cheap calls saturate it too.");
ABSL_FLAG(int, session_worker_threads, 0,
          "Threads for calls that present a session token, so they never "
          "wait behind password checks (0: one per core).");
ABSL_FLAG(int, max_queued_calls, 256,
          "Calls that may wait for a worker before new ones get "
          "RESOURCE_EXHAUSTED.");
ABSL_FLAG(absl::Duration, session_ttl, absl::Hours(1),
          "How long a session token from Login stays valid.");
ABSL_FLAG(int, min_password_length, 8,
          "Shortest password accepted (NIST SP 800-63B: at least 8).");
ABSL_FLAG(int, lockout_threshold, 5,
          "Consecutive failed sign-ins for one user name (existing or not) "
          "from one client address after which that name is locked for "
          "that address.");
ABSL_FLAG(absl::Duration, lockout_duration, absl::Minutes(1),
          "How long the first lock of a (name, address) pair lasts; each "
          "further lock in a row lasts twice as long, up to "
          "--lockout_max_duration.");
ABSL_FLAG(int, lockout_name_threshold, 50,
          "Consecutive failed sign-ins for one user name from all addresses "
          "together after which the name is locked for every address.");
ABSL_FLAG(absl::Duration, lockout_name_duration, absl::Minutes(15),
          "How long the first lock of a whole user name lasts (doubling "
          "likewise).");
ABSL_FLAG(absl::Duration, lockout_max_duration, absl::Hours(1),
          "The longest any lock lasts.");
ABSL_FLAG(int, max_sessions_per_user, 100,
          "Live sessions one user may hold; a new Login ends the oldest "
          "beyond it.");
ABSL_FLAG(int, max_failures_per_address, 30,
          "Failed sign-ins one client address may make per minute.");
ABSL_FLAG(std::string, notify_outbox, "",
          "Development delivery of verification codes: append each message "
          "as a JSON line to this file (mode 0600) instead of sending it.");
ABSL_FLAG(std::string, notify_command, "",
          "Delivery of verification codes: run this shell command per "
          "message with the message as JSON on stdin (channel, to, "
          "masked_to, user_name, message); exit 0 means delivered.");
ABSL_FLAG(std::string, mfa_issuer, "identity",
          "Issuer name shown by authenticator apps for MFA devices.");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port to serve Prometheus metrics on, plain HTTP at /metrics "
          "(empty: off). Keep it on loopback or a private network.");
ABSL_FLAG(std::string, log_level, "info",
          "Least severe log lines written: debug, info (one line per call), "
          "warning or error.");
ABSL_FLAG(absl::Duration, max_request_skew, absl::Minutes(15),
          "VerifySignature: how far the time of a header-signed request may "
          "be from ours (RequestTimeTooSkewed beyond)");
ABSL_FLAG(int64_t, signing_key_cache_entries, 10000,
          "Signing keys VerifySignature keeps in memory (the secret for V2, "
          "the derived key of a day, region and service for SigV4), so a "
          "busy key's secret is not decrypted and derived on every call; "
          "wiped when evicted. Key status and owner are still read on every "
          "call. 0: none.");
ABSL_FLAG(absl::Duration, last_use_flush_interval, absl::Seconds(1),
          "How often access keys' last use is written; each key is written "
          "at most once a minute");
ABSL_FLAG(int, max_connections, 4096,
          "Client connections held at once; one more is closed at once. "
          "Lowered to what fits the descriptor limit beside the store's "
          "reserve (three descriptors a connection).");
ABSL_FLAG(int, max_streams_per_connection, 100,
          "HTTP/2 streams (calls) a client may have open on one connection; "
          "a connection that opens more is closed.");
ABSL_FLAG(int, max_open_streams, 4096,
          "HTTP/2 streams open over all connections; beyond it the "
          "connection holding the most is closed.");
ABSL_FLAG(int, max_stream_resets_per_second, 100,
          "RST_STREAM frames a client may send per second on one connection "
          "(ten times that over all), against rapid reset (CVE-2023-44487).");
ABSL_FLAG(absl::Duration, tls_handshake_timeout, absl::Seconds(10),
          "A TLS handshake not finished by then is dropped (slow "
          "handshakes holding descriptors).");
ABSL_FLAG(int, max_tls_handshakes, 256,
          "TLS handshakes in progress at once; beyond, a newcomer takes the "
          "place of the oldest that has received no byte, or is closed at "
          "once if every one has. One address may hold 8 of them.");
ABSL_FLAG(int, grpc_memory_quota_mib, 256,
          "Memory gRPC's transports may take (its resource quota).");
ABSL_FLAG(absl::Duration, store_unwritable_limit, absl::Minutes(1),
          "How long the store may refuse writes (Health says NOT_SERVING "
          "meanwhile, and the store is resumed once the fault is gone) "
          "before identityd exits with status 75 for its supervisor to "
          "restart it.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(20),
          "How long in-flight calls may run after SIGTERM or SIGINT.");

namespace {

using identity::service::Logger;

absl::StatusOr<std::string> ReadPasswordFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read --bootstrap_password_file ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  // One trailing newline is how editors end files, not part of the password.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

// SIGTERM and SIGINT. Blocked in main() before any thread starts (the
// logger's flusher is the first), so every thread inherits the mask and
// only the sigwait in Run receives them.
sigset_t StopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  return stop_signals;
}

// `identityd --help`: the usage and identityd's own flags, on stdout, exit
// 0. absl's built-in --help exits 1 in this Abseil (20220623), which reads
// as a failure to scripts and to people; --helpfull is still absl's.
bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg == "--help" || arg == "-help" || arg == "-h") return true;
  }
  return false;
}

void PrintHelp() {
  std::vector<absl::CommandLineFlag*> ours;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename().find("absl/") == std::string::npos) {
      ours.push_back(flag);
    }
  }
  std::sort(ours.begin(), ours.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::cout << absl::ProgramUsageMessage() << "\n\nflags:\n";
  for (const absl::CommandLineFlag* flag : ours) {
    std::cout << "  --" << flag->Name() << " (default: \""
              << flag->DefaultValue() << "\")\n      " << flag->Help() << "\n";
  }
  std::cout << "\n  --flagfile=FILE reads flags from FILE, one --flag=value a "
               "line (see deploy/identityd.flags).\n"
               "  --helpfull lists Abseil's own flags too.\n";
}

int Run(Logger& logger) {
  const sigset_t stop_signals = StopSignals();
  identity::service::ServerConfig config;
  config.listen_address = absl::GetFlag(FLAGS_listen);
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  for (absl::string_view endpoint : absl::StrSplit(
           absl::GetFlag(FLAGS_etcd_endpoints), ',', absl::SkipWhitespace())) {
    config.etcd_endpoints.emplace_back(absl::StripAsciiWhitespace(endpoint));
  }
  if (config.data_dir.empty() && config.etcd_endpoints.empty()) {
    config.data_dir = "/var/lib/identity";
  }
  config.etcd_prefix = absl::GetFlag(FLAGS_etcd_prefix);
  config.etcd_ca_file = absl::GetFlag(FLAGS_etcd_ca);
  config.etcd_cert_file = absl::GetFlag(FLAGS_etcd_cert);
  config.etcd_key_file = absl::GetFlag(FLAGS_etcd_key);
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  config.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  config.service_principals_file = absl::GetFlag(FLAGS_tls_client_principals);
  config.allow_insecure = absl::GetFlag(FLAGS_insecure);
  config.master_key_file = absl::GetFlag(FLAGS_master_key_file);
  config.bootstrap_admin = absl::GetFlag(FLAGS_bootstrap_admin);
  config.max_keys_per_user = absl::GetFlag(FLAGS_max_keys_per_user);
  config.key_age_policy.max_age = absl::GetFlag(FLAGS_max_access_key_age);
  config.key_age_policy.warn_age = absl::GetFlag(FLAGS_warn_access_key_age);
  if (config.key_age_policy.warn_age == absl::ZeroDuration()) {
    config.key_age_policy.warn_age =
        identity::auth::DefaultWarnAge(config.key_age_policy.max_age);
  }
  config.key_expiry_interval = absl::GetFlag(FLAGS_key_expiry_interval);
  config.audit_retention = absl::GetFlag(FLAGS_audit_retention);
  config.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  config.session_worker_threads = absl::GetFlag(FLAGS_session_worker_threads);
  config.password_pool_nice =
      std::clamp(absl::GetFlag(FLAGS_password_pool_nice), 0, 19);
  config.max_queued_calls = absl::GetFlag(FLAGS_max_queued_calls);
  config.session_ttl = absl::GetFlag(FLAGS_session_ttl);
  config.record_cache_entries = static_cast<size_t>(
      std::max<int64_t>(0, absl::GetFlag(FLAGS_record_cache_entries)));
  config.max_request_skew = absl::GetFlag(FLAGS_max_request_skew);
  config.last_use_flush_interval = absl::GetFlag(FLAGS_last_use_flush_interval);
  config.signing_key_cache_entries = static_cast<size_t>(
      std::max<int64_t>(0, absl::GetFlag(FLAGS_signing_key_cache_entries)));
  config.password_policy.min_length = absl::GetFlag(FLAGS_min_password_length);
  config.lockout.max_failures = absl::GetFlag(FLAGS_lockout_threshold);
  config.lockout.lock_duration = absl::GetFlag(FLAGS_lockout_duration);
  config.lockout.max_failures_per_name =
      absl::GetFlag(FLAGS_lockout_name_threshold);
  config.lockout.name_lock_duration =
      absl::GetFlag(FLAGS_lockout_name_duration);
  config.lockout.max_lock_duration = absl::GetFlag(FLAGS_lockout_max_duration);
  config.max_sessions_per_user = absl::GetFlag(FLAGS_max_sessions_per_user);
  config.lockout.max_failures_per_address =
      absl::GetFlag(FLAGS_max_failures_per_address);
  config.notify_outbox_file = absl::GetFlag(FLAGS_notify_outbox);
  config.notify_command = absl::GetFlag(FLAGS_notify_command);
  config.mfa_issuer = absl::GetFlag(FLAGS_mfa_issuer);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  absl::StatusOr<int> descriptors = identity::service::RaiseDescriptorLimit();
  absl::StatusOr<int> connections =
      descriptors.ok() ? identity::service::ConnectionsThatFit(
                             *descriptors, absl::GetFlag(FLAGS_max_connections))
                       : descriptors.status();
  if (!connections.ok()) {
    logger.Error("startup_failed",
                 {{"error", std::string(connections.status().message())}});
    return 1;
  }
  if (*connections < absl::GetFlag(FLAGS_max_connections)) {
    logger.Warning(
        "max_connections_lowered",
        {{"max_connections", absl::StrCat(*connections)},
         {"rlimit_nofile", absl::StrCat(*descriptors)},
         {"message", "--max_connections lowered to fit RLIMIT_NOFILE"}});
  }
  config.max_connections = *connections;
  config.max_streams_per_connection =
      absl::GetFlag(FLAGS_max_streams_per_connection);
  config.max_open_streams = absl::GetFlag(FLAGS_max_open_streams);
  config.max_resets_per_second =
      absl::GetFlag(FLAGS_max_stream_resets_per_second);
  config.tls_handshake_timeout = absl::GetFlag(FLAGS_tls_handshake_timeout);
  config.max_tls_handshakes = absl::GetFlag(FLAGS_max_tls_handshakes);
  config.grpc_memory_quota_mib = absl::GetFlag(FLAGS_grpc_memory_quota_mib);
  config.store_unwritable_limit = absl::GetFlag(FLAGS_store_unwritable_limit);
  // The monitor has logged why. Exiting without a clean close is safe:
  // every acknowledged write is synced (kill -9 durability is tested).
  config.on_store_unrecoverable = [&logger] {
    logger.Flush();
    std::_Exit(75);  // EX_TEMPFAIL: the supervisor restarts us
  };
  const std::string password_file =
      absl::GetFlag(FLAGS_bootstrap_password_file);
  if (!password_file.empty()) {
    absl::StatusOr<std::string> password = ReadPasswordFile(password_file);
    if (!password.ok()) {
      logger.Error("startup_failed",
                   {{"error", std::string(password.status().message())}});
      return 1;
    }
    config.bootstrap_password = *std::move(password);
  }

  absl::StatusOr<std::unique_ptr<identity::service::IdentityServer>> server =
      identity::service::IdentityServer::Start(config, logger);
  identity::crypto::Cleanse(config.bootstrap_password);
  if (!server.ok()) {
    logger.Error("startup_failed",
                 {{"error", std::string(server.status().message())}});
    return 1;
  }
  if (std::optional<std::string> password =
          (*server)->TakeGeneratedAdminPassword()) {
    // Deliberately not a log line: shown once to the operator at the
    // terminal, never kept in a log.
    std::cout << "\nBootstrap admin '" << config.bootstrap_admin
              << "' created. Its generated password, shown only now:\n\n    "
              << *password << "\n\nSign in with 'identityctl --user "
              << config.bootstrap_admin
              << " login', or over gRPC with 'authorization: Basic base64("
              << config.bootstrap_admin << ":<password>)'.\n\n"
              << std::flush;
    identity::crypto::Cleanse(*password);
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  logger.Notice("shutting_down", {{"signal", strsignal(signal_number)}});
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  logger.Notice("stopped");
  return 0;
}

// `identityd reset-admin --data_dir=DIR --master_key_file=FILE [--user=NAME]`
// (see service/break_glass.h), with identityd stopped.
int ResetAdminCommand() {
  const std::string user = absl::GetFlag(FLAGS_user);
  absl::StatusOr<std::string> password =
      identity::service::ResetAdmin(absl::GetFlag(FLAGS_data_dir),
                                    absl::GetFlag(FLAGS_master_key_file), user);
  if (!password.ok()) {
    std::cerr << "identityd reset-admin: " << password.status().message()
              << "\n";
    return 1;
  }
  std::cout << "Admin '" << user
            << "' reset: unlocked, sessions ended. Its new password, shown "
               "only now:\n\n    "
            << *password << "\n\n";
  identity::crypto::Cleanse(*password);
  return 0;
}

// `identityd rewrap (--data_dir=DIR | --etcd_endpoints=...)
// --master_key_file=FILE [--dry_run]` (see service/host_rewrap.h).
// Exit 0: every secret is under the first KEK line (or, with --dry_run,
// counted); 3: done, but some secrets do not open (listed); 1: an error.
int RewrapCommand() {
  identity::service::HostRewrapConfig config;
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  for (absl::string_view endpoint : absl::StrSplit(
           absl::GetFlag(FLAGS_etcd_endpoints), ',', absl::SkipWhitespace())) {
    config.etcd_endpoints.emplace_back(absl::StripAsciiWhitespace(endpoint));
  }
  config.etcd_prefix = absl::GetFlag(FLAGS_etcd_prefix);
  config.etcd_ca_file = absl::GetFlag(FLAGS_etcd_ca);
  config.etcd_cert_file = absl::GetFlag(FLAGS_etcd_cert);
  config.etcd_key_file = absl::GetFlag(FLAGS_etcd_key);
  config.master_key_file = absl::GetFlag(FLAGS_master_key_file);
  config.options.dry_run = absl::GetFlag(FLAGS_dry_run);
  config.options.batch_size = absl::GetFlag(FLAGS_rewrap_batch_size);
  config.options.verify_current = absl::GetFlag(FLAGS_verify);
  const int64_t progress_every =
      std::max<int64_t>(1, absl::GetFlag(FLAGS_rewrap_progress_every));
  // A line on stderr now and then, so a long run shows it moves.
  int64_t reported = 0;
  absl::StatusOr<identity::auth::SecretRewrapResult> result =
      identity::service::RewrapOnHost(
          config, [&](const identity::auth::SecretRewrapResult& progress) {
            const int64_t seen =
                progress.access_keys_seen + progress.mfa_secrets_seen;
            if (seen - reported < progress_every) return;
            reported = seen;
            std::cerr << "rewrap: " << seen << " secrets read, "
                      << progress.resealed << " re-sealed\n"
                      << std::flush;
          });
  if (!result.ok()) {
    std::cerr << "identityd rewrap: " << result.status().message() << "\n";
    return 1;
  }
  std::cout << identity::service::FormatRewrapReport(*result,
                                                     config.options.dry_run);
  if (!result->complete) return 1;
  return result->failed() > 0 ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  identity::service::ConfigureServerProcess();
  absl::SetProgramUsageMessage(
      "identityd: IAM users and their access keys over gRPC.\n"
      "  identityd --data_dir=DIR --master_key_file=FILE [--listen=HOST:PORT]\n"
      "  identityd --etcd_endpoints=H1:2379,H2:2379,H3:2379 "
      "--master_key_file=FILE ...\n"
      "  identityd reset-admin --data_dir=DIR --master_key_file=FILE "
      "[--user=admin]   (break glass, with identityd stopped)\n"
      "  identityd rewrap (--data_dir=DIR | --etcd_endpoints=...) "
      "--master_key_file=FILE [--dry_run] [--verify]   (re-seal every "
      "secret under "
      "the first KEK line; RocksDB: with identityd stopped)");
  if (WantsHelp(argc, argv)) {
    PrintHelp();
    return 0;
  }
  const std::string subcommand = argc > 1 ? argv[1] : "";
  const bool reset_admin = subcommand == "reset-admin";
  const bool rewrap = subcommand == "rewrap";
  if (reset_admin || rewrap) {
    // The subcommand is not a flag: drop it before the flags are parsed.
    for (int i = 1; i + 1 < argc; ++i) argv[i] = argv[i + 1];
    --argc;
  }
  absl::ParseCommandLine(argc, argv);
  if (reset_admin) return ResetAdminCommand();
  if (rewrap) return RewrapCommand();
  // absl::Mutex's deadlock detector builds a lock graph on every
  // acquisition: a debugging aid that costs a few percent of every call
  // (seen in perf). Tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  identity::service::LogLevel log_level;
  if (!identity::service::ParseLogLevel(absl::GetFlag(FLAGS_log_level),
                                        &log_level)) {
    std::cerr << "identityd: --log_level must be debug, info, warning or "
                 "error\n";
    return 2;
  }
  const sigset_t stop_signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  Logger logger(stderr, log_level);
  return Run(logger);
}
