#ifndef IDENTITY_SERVICE_IDENTITYCTL_OUTPUT_FORMAT_H_
#define IDENTITY_SERVICE_IDENTITYCTL_OUTPUT_FORMAT_H_

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>

namespace identity::identityctl {

// "2026-12-01T17:00:00Z", or `unset` for an unset timestamp.
std::string FormatTime(const google::protobuf::Timestamp& time,
                       const std::string& unset = "-");

// The message as proto3 JSON with the .proto files' field names
// (access_key_id, not accessKeyId) and every field present, defaults too,
// so scripts need not guess: what --json prints.
std::string ToJson(const google::protobuf::Message& message);

// A CSV field per RFC 4180: quoted when it holds a comma, quote or newline.
std::string CsvField(const std::string& value);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_OUTPUT_FORMAT_H_
