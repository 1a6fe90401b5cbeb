#ifndef IDENTITY_SERVICE_AUDIT_SERVICE_H_
#define IDENTITY_SERVICE_AUDIT_SERVICE_H_

#include "auth/audit_trail.h"
#include "identity/v1/audit_service.grpc.pb.h"
#include "service/call_runner.h"

namespace identity::service {

// Raw callback methods (see access_key_service.h).
using AuditServiceBase =
    v1::AuditService::WithRawCallbackMethod_ListAuditEvents<
        v1::AuditService::Service>;

// identity.v1.AuditService.
class AuditServiceImpl final : public AuditServiceBase {
 public:
  AuditServiceImpl(CallRunner& runner, auth::AuditTrail& trail)
      : runner_(runner), trail_(trail) {}

  grpc::ServerUnaryReactor* ListAuditEvents(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

 private:
  CallRunner& runner_;
  auth::AuditTrail& trail_;
};

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_AUDIT_SERVICE_H_
