// identityd: the identity service daemon.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/crypto.h"
#include "service/identity_server.h"
#include "service/logger.h"

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
ABSL_FLAG(std::string, data_dir, "/var/lib/identity",
          "Directory of the embedded RocksDB store.");
ABSL_FLAG(std::string, master_key_file, "/etc/identity/master.key",
          "Key-encryption key file (mode 0600, outside --data_dir). Created "
          "as a development key if missing while the store is empty.");
ABSL_FLAG(std::string, bootstrap_admin, "admin",
          "Name of the admin user a fresh store is given.");
ABSL_FLAG(std::string, bootstrap_password_file, "",
          "File holding the bootstrap admin's password. If empty, a random "
          "password is generated and printed once.");
ABSL_FLAG(int, max_keys_per_user, 2,
          "Access keys a user may hold, active and inactive alike.");
ABSL_FLAG(int, worker_threads, 0,
          "Threads for calls that present a password: Argon2 (0: one per "
          "core).");
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
          "after which it is locked.");
ABSL_FLAG(absl::Duration, lockout_duration, absl::Minutes(15),
          "How long a locked user name stays locked.");
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
ABSL_FLAG(absl::Duration, last_use_flush_interval, absl::Seconds(1),
          "How often access keys' last use is written; each key is written "
          "at most once a minute");
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

int Run(Logger& logger) {
  const sigset_t stop_signals = StopSignals();
  identity::service::ServerConfig config;
  config.listen_address = absl::GetFlag(FLAGS_listen);
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  config.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  config.service_principals_file = absl::GetFlag(FLAGS_tls_client_principals);
  config.allow_insecure = absl::GetFlag(FLAGS_insecure);
  config.master_key_file = absl::GetFlag(FLAGS_master_key_file);
  config.bootstrap_admin = absl::GetFlag(FLAGS_bootstrap_admin);
  config.max_keys_per_user = absl::GetFlag(FLAGS_max_keys_per_user);
  config.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  config.session_worker_threads = absl::GetFlag(FLAGS_session_worker_threads);
  config.max_queued_calls = absl::GetFlag(FLAGS_max_queued_calls);
  config.session_ttl = absl::GetFlag(FLAGS_session_ttl);
  config.max_request_skew = absl::GetFlag(FLAGS_max_request_skew);
  config.last_use_flush_interval = absl::GetFlag(FLAGS_last_use_flush_interval);
  config.password_policy.min_length = absl::GetFlag(FLAGS_min_password_length);
  config.lockout.max_failures = absl::GetFlag(FLAGS_lockout_threshold);
  config.lockout.lock_duration = absl::GetFlag(FLAGS_lockout_duration);
  config.lockout.max_failures_per_address =
      absl::GetFlag(FLAGS_max_failures_per_address);
  config.notify_outbox_file = absl::GetFlag(FLAGS_notify_outbox);
  config.notify_command = absl::GetFlag(FLAGS_notify_command);
  config.mfa_issuer = absl::GetFlag(FLAGS_mfa_issuer);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
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
              << *password << "\n\nUse it with 'authorization: Basic base64("
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

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "identityd: IAM users and their access keys over gRPC.\n"
      "  identityd --data_dir=DIR --master_key_file=FILE [--listen=HOST:PORT]");
  absl::ParseCommandLine(argc, argv);
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
