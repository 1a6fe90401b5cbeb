#include "service/key_encryption_key_service.h"

#include "service/proto_mapping.h"

namespace identity::service {

void ToApi(const auth::SecretRewrapRun& run, v1::RewrapRun* out) {
  using State = auth::SecretRewrapRun::State;
  switch (run.state) {
    case State::kRunning:
      out->set_state(v1::RewrapRun::RUNNING);
      break;
    case State::kSucceeded:
      out->set_state(v1::RewrapRun::SUCCEEDED);
      break;
    case State::kFailed:
      out->set_state(v1::RewrapRun::FAILED);
      break;
    case State::kCancelled:
      out->set_state(v1::RewrapRun::CANCELLED);
      break;
  }
  out->set_dry_run(run.dry_run);
  SetTimestamp(absl::ToUnixMicros(run.start_time), out->mutable_start_time());
  if (run.state != State::kRunning) {
    SetTimestamp(absl::ToUnixMicros(run.end_time), out->mutable_end_time());
  }
  out->set_started_by(run.started_by);
  const auth::SecretRewrapResult& result = run.result;
  out->set_sealing_kek_id(result.sealing_kek_id);
  out->set_access_keys_seen(result.access_keys_seen);
  out->set_mfa_secrets_seen(result.mfa_secrets_seen);
  out->set_resealed(result.resealed);
  out->set_already_current(result.already_current);
  out->set_changed_concurrently(result.changed_concurrently);
  out->set_failed_unknown_kek(result.failed_unknown_kek);
  out->set_failed_does_not_open(result.failed_does_not_open);
  for (const auto& [id, count] : result.secrets_by_kek) {
    (*out->mutable_secrets_by_kek())[id] = count;
  }
  for (const std::string& id : result.old_keks_in_use()) {
    out->add_old_kek_ids_in_use(id);
  }
  for (const std::string& failure : result.failures) {
    out->add_failures(failure);
  }
  out->set_error(run.error);
}

grpc::ServerUnaryReactor* KeyEncryptionKeyServiceImpl::RewrapSecrets(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::RewrapSecretsRequest, v1::RewrapSecretsResponse>(
      context, "RewrapSecrets", request, response,
      [this](const auth::Principal& caller,
             const v1::RewrapSecretsRequest& request,
             v1::RewrapSecretsResponse& response) {
        // Only starts the run: the pass itself is on the job's thread.
        absl::StatusOr<auth::SecretRewrapRun> run =
            job_.Start(caller, request.dry_run(), request.verify());
        if (!run.ok()) return run.status();
        ToApi(*run, response.mutable_run());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor*
KeyEncryptionKeyServiceImpl::GetKeyEncryptionKeyStatus(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_.RunUnary<v1::GetKeyEncryptionKeyStatusRequest,
                          v1::GetKeyEncryptionKeyStatusResponse>(
      context, "GetKeyEncryptionKeyStatus", request, response,
      [this](const auth::Principal& caller,
             const v1::GetKeyEncryptionKeyStatusRequest&,
             v1::GetKeyEncryptionKeyStatusResponse& response) {
        absl::StatusOr<std::optional<auth::SecretRewrapRun>> run =
            job_.Status(caller);
        if (!run.ok()) return run.status();
        response.set_sealing_kek_id(job_.sealer().sealing_key_id());
        for (const std::string& id : job_.sealer().key_ids()) {
          response.add_kek_ids(id);
        }
        if (run->has_value()) ToApi(**run, response.mutable_last_run());
        return absl::OkStatus();
      },
      Access::kReadOnly);
}

}  // namespace identity::service
