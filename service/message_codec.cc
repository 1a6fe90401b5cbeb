#include "service/message_codec.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/crypto.h"
#include "auth/validation.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace identity::service {
namespace {

std::string Flatten(const grpc::ByteBuffer& raw) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!raw.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

}  // namespace

absl::Status DecodeRequest(const grpc::ByteBuffer& raw,
                           google::protobuf::Message& request) {
  const std::string bytes = Flatten(raw);
  const google::protobuf::Descriptor* type = request.GetDescriptor();
  const absl::Status unparsable = absl::InvalidArgumentError(
      absl::StrCat("request is not a valid ", type->full_name()));
  // The wire-level view applies no UTF-8 rule, so it can say which field
  // breaks it.
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return unparsable;
  }
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    if (field.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    const google::protobuf::FieldDescriptor* descriptor =
        type->FindFieldByNumber(field.number());
    if (descriptor != nullptr &&
        descriptor->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !auth::IsValidUtf8(field.length_delimited())) {
      return absl::InvalidArgumentError(
          absl::StrCat(descriptor->name(), ": must be valid UTF-8"));
    }
  }
  if (!request.ParseFromString(bytes)) return unparsable;
  return absl::OkStatus();
}

void EncodeResponse(const google::protobuf::Message& response,
                    grpc::ByteBuffer& raw) {
  std::string bytes = response.SerializeAsString();
  grpc::Slice slice(bytes);  // copies
  raw = grpc::ByteBuffer(&slice, 1);
  crypto::Cleanse(bytes);
}

}  // namespace identity::service
