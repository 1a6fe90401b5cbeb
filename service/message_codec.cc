#include "service/message_codec.h"

#include <grpc/slice.h>

#include <climits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/validation.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace identity::service {
namespace {

using google::protobuf::internal::WireFormatLite;

absl::Status Unparsable(const google::protobuf::Descriptor& type) {
  return absl::InvalidArgumentError(
      absl::StrCat("request is not a valid ", type.full_name()));
}

// Walks the top-level fields on the wire (which applies no UTF-8 rule, so it
// can say which field breaks it) without building anything: a request is
// checked on every call. A structural error is left to the parse.
absl::Status CheckTopLevelStrings(const google::protobuf::Descriptor& type,
                                  const uint8_t* data, int size) {
  google::protobuf::io::CodedInputStream input(data, size);
  while (const uint32_t tag = input.ReadTag()) {
    if (WireFormatLite::GetTagWireType(tag) !=
        WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&input, tag)) break;
      continue;
    }
    uint32_t length = 0;
    if (!input.ReadVarint32(&length)) break;
    const int offset = input.CurrentPosition();
    if (length > static_cast<uint32_t>(size - offset)) break;
    const google::protobuf::FieldDescriptor* field =
        type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    if (field != nullptr &&
        field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !auth::IsValidUtf8(absl::string_view(
            reinterpret_cast<const char*>(data + offset), length))) {
      return absl::InvalidArgumentError(
          absl::StrCat(field->name(), ": must be valid UTF-8"));
    }
    if (!input.Skip(static_cast<int>(length))) break;
  }
  return absl::OkStatus();
}

absl::Status DecodeFlat(const uint8_t* data, size_t size,
                        google::protobuf::Message& request) {
  const google::protobuf::Descriptor& type = *request.GetDescriptor();
  if (size > static_cast<size_t>(INT_MAX)) return Unparsable(type);
  const int length = static_cast<int>(size);
  // Checked before parsing: the parser would log invalid UTF-8 to stderr.
  absl::Status strings = CheckTopLevelStrings(type, data, length);
  if (!strings.ok()) return strings;
  if (!request.ParseFromArray(data, length)) return Unparsable(type);
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeRequest(const grpc::ByteBuffer& raw,
                           google::protobuf::Message& request) {
  // A small request arrives as one slice: parsed where it lies.
  grpc::Slice single;
  if (raw.TrySingleSlice(&single).ok()) {
    return DecodeFlat(single.begin(), single.size(), request);
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (raw.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return DecodeFlat(reinterpret_cast<const uint8_t*>(bytes.data()),
                    bytes.size(), request);
}

void EncodeResponse(const google::protobuf::Message& response,
                    grpc::ByteBuffer& raw) {
  // Serialized straight into the slice gRPC sends: no intermediate copy
  // (responses may carry a secret) and no second allocation.
  const size_t size = response.ByteSizeLong();
  grpc_slice slice = grpc_slice_malloc(size);
  response.SerializeWithCachedSizesToArray(GRPC_SLICE_START_PTR(slice));
  grpc::Slice owned(slice, grpc::Slice::STEAL_REF);
  raw = grpc::ByteBuffer(&owned, 1);
}

}  // namespace identity::service
