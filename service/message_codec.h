#ifndef IDENTITY_SERVICE_MESSAGE_CODEC_H_
#define IDENTITY_SERVICE_MESSAGE_CODEC_H_

#include <grpcpp/support/byte_buffer.h>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace identity::service {

// Decodes a request ourselves instead of letting gRPC do it: gRPC 1.51's
// callback server answers a request that fails to parse (e.g. a string
// field holding invalid UTF-8) with a bare UNIMPLEMENTED and logs to
// stderr. Here such a request is INVALID_ARGUMENT naming the field, and
// nothing is logged. Only top-level string fields are checked by name (our
// requests are flat); anything else that fails to parse is named by type.
absl::Status DecodeRequest(const grpc::ByteBuffer& raw,
                           google::protobuf::Message& request);

// Serializes `response` into `raw`, wiping the intermediate copy (responses
// may carry a secret).
void EncodeResponse(const google::protobuf::Message& response,
                    grpc::ByteBuffer& raw);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_MESSAGE_CODEC_H_
