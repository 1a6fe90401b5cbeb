#ifndef IDENTITY_SERVICE_STATUS_MAPPING_H_
#define IDENTITY_SERVICE_STATUS_MAPPING_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace identity::service {

inline constexpr char kErrorDomain[] = "identity.v1";

// The one place absl::Status becomes grpc::Status. The code maps one to one;
// a reason attached with auth::WithReason travels as a google.rpc.ErrorInfo
// in the rich status details (grpc-status-details-bin). Internal, DataLoss
// and Unknown errors keep their detail out of the answer: it may describe
// stored records, and the client can do nothing with it. So do storage
// faults (IsStorageFault): the client reads "storage unavailable".
grpc::Status ToGrpcStatus(const absl::Status& status);

// An Unavailable error from a storage engine (its message starts with
// "storage", and names files and engine internals).
bool IsStorageFault(const absl::Status& status);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_STATUS_MAPPING_H_
