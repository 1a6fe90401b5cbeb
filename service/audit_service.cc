#include "service/audit_service.h"

#include "service/proto_mapping.h"

namespace identity::service {

grpc::ServerUnaryReactor* AuditServiceImpl::ListAuditEvents(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return runner_
      .RunUnary<v1::ListAuditEventsRequest, v1::ListAuditEventsResponse>(
          context, "ListAuditEvents", request, response,
          [this](const auth::Principal& caller,
                 const v1::ListAuditEventsRequest& request,
                 v1::ListAuditEventsResponse& response) {
            absl::StatusOr<auth::AuditPage> page = trail_.List(
                caller, request.user_name(),
                FromApi(request.start_time(), request.has_start_time(),
                        absl::UnixEpoch()),
                FromApi(request.end_time(), request.has_end_time(),
                        absl::InfiniteFuture()),
                request.page_size(), request.page_token());
            if (!page.ok()) return page.status();
            for (const storage::AuditEventRecord& event : page->events) {
              ToApi(event, response.add_events());
            }
            response.set_next_page_token(page->next_page_token);
            return absl::OkStatus();
          },
          Access::kReadOnly);
}

}  // namespace identity::service
