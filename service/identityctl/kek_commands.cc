// kek status / kek rewrap: the key-encryption key's rotation
// (KeyEncryptionKeyService), for operators. See deploy/README.md,
// "Rotating the key-encryption key".
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "identity/v1/key_encryption_key_service.grpc.pb.h"
#include "service/identityctl/command.h"
#include "service/identityctl/output_format.h"

namespace identity::identityctl {
namespace {

std::string StateName(v1::RewrapRun::State state) {
  switch (state) {
    case v1::RewrapRun::RUNNING:
      return "running";
    case v1::RewrapRun::SUCCEEDED:
      return "finished";
    case v1::RewrapRun::FAILED:
      return "FAILED";
    case v1::RewrapRun::CANCELLED:
      return "stopped by a shutdown";
    default:
      return "unknown";
  }
}

void PrintRun(const v1::RewrapRun& run, std::ostream& out) {
  out << (run.dry_run() ? "Dry run" : "Rewrap") << " by " << run.started_by()
      << ", started " << FormatTime(run.start_time(), "?") << ": "
      << StateName(run.state());
  if (run.has_end_time()) out << " at " << FormatTime(run.end_time(), "?");
  out << "\n";
  if (!run.error().empty()) out << "  error: " << run.error() << "\n";
  out << "  access keys " << run.access_keys_seen() << ", MFA secrets "
      << run.mfa_secrets_seen() << "\n"
      << "  " << (run.dry_run() ? "to re-seal" : "re-sealed") << " "
      << run.resealed() << ", already current " << run.already_current()
      << ", changed meanwhile " << run.changed_concurrently() << "\n"
      << "  failed: unknown KEK id " << run.failed_unknown_kek()
      << ", does not open " << run.failed_does_not_open() << "\n";
  out << "  secrets by KEK id:";
  // A map's order is unspecified: sort for a stable listing.
  std::map<std::string, int64_t> by_kek(run.secrets_by_kek().begin(),
                                        run.secrets_by_kek().end());
  for (const auto& [id, count] : by_kek) {
    out << " " << id << "=" << count
        << (id == run.sealing_kek_id() ? " (sealing)" : "");
  }
  out << "\n";
  if (run.state() == v1::RewrapRun::SUCCEEDED) {
    if (run.old_kek_ids_in_use().empty()) {
      out << "No old KEK id is in use: once every replica runs with the "
             "sealing KEK first, the other lines can be removed.\n";
    } else {
      out << "Old KEK ids still in use: "
          << absl::StrJoin(run.old_kek_ids_in_use(), ", ")
          << ". Keep their lines.\n";
    }
  }
  for (const std::string& failure : run.failures()) {
    out << "  " << failure << "\n";
  }
}

int GetStatus(CommandContext& context,
              v1::GetKeyEncryptionKeyStatusResponse* status) {
  auto stub = v1::KeyEncryptionKeyService::NewStub(context.channel);
  return context.Invoke(
      Proof::kSessionOrPassword, [&](grpc::ClientContext& call) {
        return stub->GetKeyEncryptionKeyStatus(
            &call, v1::GetKeyEncryptionKeyStatusRequest(), status);
      });
}

int Status(CommandContext& context) {
  v1::GetKeyEncryptionKeyStatusResponse status;
  if (const int code = GetStatus(context, &status); code != kExitOk) {
    return code;
  }
  context.out << "Sealing KEK: " << status.sealing_kek_id() << "\n"
              << "KEK ids this server opens with: "
              << absl::StrJoin(status.kek_ids(), ", ") << "\n";
  if (status.has_last_run()) {
    PrintRun(status.last_run(), context.out);
  } else {
    context.out << "No rewrap has run on this server since it started: "
                   "`identityctl kek rewrap --dry-run --wait` counts the "
                   "secrets by KEK id.\n";
  }
  context.out << std::flush;
  return kExitOk;
}

int Rewrap(CommandContext& context) {
  auto stub = v1::KeyEncryptionKeyService::NewStub(context.channel);
  v1::RewrapSecretsRequest request;
  request.set_dry_run(context.invocation.has("dry-run"));
  request.set_verify(context.invocation.has("verify"));
  v1::RewrapSecretsResponse response;
  if (const int code = context.Invoke(Proof::kPassword,
                                      [&](grpc::ClientContext& call) {
                                        return stub->RewrapSecrets(
                                            &call, request, &response);
                                      });
      code != kExitOk) {
    return code;
  }
  context.out << (request.dry_run() ? "Dry run" : "Rewrap")
              << " started under sealing KEK "
              << response.run().sealing_kek_id() << ".\n";
  if (!context.invocation.has("wait")) {
    context.out << "Follow it with `identityctl kek status`.\n" << std::flush;
    return kExitOk;
  }
  context.out << std::flush;
  v1::GetKeyEncryptionKeyStatusResponse status;
  do {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    status.Clear();
    if (const int code = GetStatus(context, &status); code != kExitOk) {
      return code;
    }
  } while (status.last_run().state() == v1::RewrapRun::RUNNING);
  PrintRun(status.last_run(), context.out);
  context.out << std::flush;
  const v1::RewrapRun& run = status.last_run();
  if (run.state() != v1::RewrapRun::SUCCEEDED) return kExitFailure;
  return run.failed_unknown_kek() + run.failed_does_not_open() > 0
             ? kExitRejected
             : kExitOk;
}

}  // namespace

std::vector<Command> KekCommands() {
  return {
      {"kek status",
       "",
       "The key-encryption key ids this server seals and opens with, and "
       "its current or last rewrap (admins)",
       {},
       0,
       0,
       Status},
      {"kek rewrap",
       "",
       "Re-seal every stored secret under the first line of the KEK file, "
       "in the background (admins, with the password)",
       {{"dry-run", false, "count the secrets by KEK id, write nothing"},
        {"verify", false,
         "also open the secrets already under the sealing KEK"},
        {"wait", false,
         "wait for the run to end and print it (exit 11 if some secrets "
         "do not open)"}},
       0,
       0,
       Rewrap},
  };
}

}  // namespace identity::identityctl
