#include "service/host_rewrap.h"

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "auth/clock.h"
#include "auth/key_encryption_key.h"
#include "auth/secret_sealer.h"
#include "storage/etcd/etcd_engine.h"
#include "storage/rocksdb_store.h"

namespace identity::service {

absl::StatusOr<auth::SecretRewrapResult> RewrapOnHost(
    const HostRewrapConfig& config,
    const auth::SecretRewrap::ProgressCallback& progress) {
  if (config.data_dir.empty() == config.etcd_endpoints.empty() ||
      config.master_key_file.empty()) {
    return absl::InvalidArgumentError(
        "rewrap needs --master_key_file and either --data_dir or "
        "--etcd_endpoints, as identityd runs with");
  }
  absl::StatusOr<std::vector<auth::KeyEncryptionKey>> keks =
      auth::ReadKeyEncryptionKeyFile(config.master_key_file);
  if (!keks.ok()) return keks.status();
  absl::StatusOr<std::unique_ptr<auth::SecretSealer>> sealer =
      auth::SecretSealer::New(*std::move(keks));
  if (!sealer.ok()) return sealer.status();

  absl::StatusOr<std::unique_ptr<storage::Store>> store;
  if (!config.data_dir.empty()) {
    // A wrong path must not create an empty store and report it clean.
    std::error_code error;
    if (!std::filesystem::exists(
            std::filesystem::path(config.data_dir) / "CURRENT", error)) {
      return absl::NotFoundError(
          absl::StrCat("no identity store at --data_dir ", config.data_dir));
    }
    storage::RocksDbStoreOptions options;
    options.path = config.data_dir;
    store = storage::OpenRocksDbStore(options);
  } else {
    storage::EtcdEngineOptions options;
    options.endpoints = config.etcd_endpoints;
    options.prefix = config.etcd_prefix;
    options.ca_file = config.etcd_ca_file;
    options.cert_file = config.etcd_cert_file;
    options.key_file = config.etcd_key_file;
    store = storage::OpenEtcdStore(options, {});
  }
  if (!store.ok()) return store.status();

  auth::RealClock clock;
  auth::SecretRewrap rewrap(**store, **sealer, clock);
  auth::Principal actor;
  // No user: whoever runs it holds the data and the KEK file already.
  actor.user_name = "host:identityd-rewrap";
  return rewrap.Run(actor, config.options, progress);
}

std::string FormatRewrapReport(const auth::SecretRewrapResult& result,
                               bool dry_run) {
  const int64_t secrets = result.access_keys_seen + result.mfa_secrets_seen;
  const double seconds = absl::ToDoubleSeconds(result.elapsed);
  std::string report = absl::StrFormat(
      "%s under sealing KEK %s: %d access keys and %d MFA secrets in %.1f s "
      "(%.0f secrets/s read, %.0f re-sealed/s)%s\n",
      dry_run ? "Dry run (nothing written)" : "Rewrap", result.sealing_kek_id,
      result.access_keys_seen, result.mfa_secrets_seen, seconds,
      seconds > 0 ? secrets / seconds : 0.0,
      seconds > 0 ? result.resealed / seconds : 0.0,
      result.complete ? "" : "; STOPPED EARLY, run it again");
  absl::StrAppendFormat(&report, "  %-28s %d\n",
                        dry_run ? "to re-seal" : "re-sealed", result.resealed);
  absl::StrAppendFormat(&report, "  %-28s %d\n", "already current",
                        result.already_current);
  absl::StrAppendFormat(&report, "  %-28s %d\n", "changed meanwhile",
                        result.changed_concurrently);
  absl::StrAppendFormat(&report, "  %-28s %d\n", "failed: unknown KEK id",
                        result.failed_unknown_kek);
  absl::StrAppendFormat(&report, "  %-28s %d\n", "failed: does not open",
                        result.failed_does_not_open);
  absl::StrAppend(&report, "Secrets by KEK id:\n");
  for (const auto& [id, count] : result.secrets_by_kek) {
    absl::StrAppendFormat(&report, "  %-28s %d%s\n", id.empty() ? "(none)" : id,
                          count,
                          id == result.sealing_kek_id ? " (sealing)" : "");
  }
  const std::vector<std::string> old = result.old_keks_in_use();
  if (old.empty() && result.complete) {
    absl::StrAppend(&report,
                    "No old KEK id is in use: once every replica runs with "
                    "this first line, the other lines can be removed.\n");
  } else if (!old.empty()) {
    absl::StrAppend(&report,
                    "Old KEK ids still in use: ", absl::StrJoin(old, ", "),
                    ". Keep their lines in the KEK file.\n");
  }
  if (result.failed() > 0) {
    absl::StrAppend(&report,
                    "Secrets that do not open (never rewritten; their keys "
                    "cannot verify signatures):\n");
    for (const std::string& failure : result.failures) {
      absl::StrAppend(&report, "  ", failure, "\n");
    }
    if (static_cast<int64_t>(result.failures.size()) < result.failed()) {
      absl::StrAppend(
          &report, "  ... and ",
          result.failed() - static_cast<int64_t>(result.failures.size()),
          " more\n");
    }
  }
  return report;
}

}  // namespace identity::service
