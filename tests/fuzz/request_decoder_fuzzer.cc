// Every request message as raw wire bytes, through the service's decoder and
// the validation its handlers apply: INVALID_ARGUMENT or OK, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "auth/validation.h"
#include "identity/v1/access_key_service.pb.h"
#include "identity/v1/audit_service.pb.h"
#include "identity/v1/session_service.pb.h"
#include "identity/v1/user_service.pb.h"
#include "service/message_codec.h"

namespace {

using identity::auth::PasswordPolicy;
namespace v1 = identity::v1;

std::unique_ptr<google::protobuf::Message> NewRequest(uint8_t which) {
  switch (which % 17) {
    case 0:
      return std::make_unique<v1::CreateAccessKeyRequest>();
    case 1:
      return std::make_unique<v1::ListAccessKeysRequest>();
    case 2:
      return std::make_unique<v1::UpdateAccessKeyRequest>();
    case 3:
      return std::make_unique<v1::DeleteAccessKeyRequest>();
    case 4:
      return std::make_unique<v1::CreateUserRequest>();
    case 5:
      return std::make_unique<v1::GetUserRequest>();
    case 6:
      return std::make_unique<v1::ListUsersRequest>();
    case 7:
      return std::make_unique<v1::UpdateUserRequest>();
    case 8:
      return std::make_unique<v1::DeleteUserRequest>();
    case 9:
      return std::make_unique<v1::SetPasswordRequest>();
    case 10:
      return std::make_unique<v1::UnlockUserRequest>();
    case 11:
      return std::make_unique<v1::LoginRequest>();
    case 12:
      return std::make_unique<v1::SendVerificationCodeRequest>();
    case 13:
      return std::make_unique<v1::EnrollMfaDeviceRequest>();
    case 14:
      return std::make_unique<v1::ConfirmMfaDeviceRequest>();
    case 15:
      return std::make_unique<v1::DeleteMfaDeviceRequest>();
    default:
      return std::make_unique<v1::ListAuditEventsRequest>();
  }
}

// The field rules the handlers apply, on every string field of the request.
void Validate(const google::protobuf::Message& request) {
  const auto* descriptor = request.GetDescriptor();
  const auto* reflection = request.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
        field->is_repeated()) {
      continue;
    }
    const std::string value = reflection->GetString(request, field);
    identity::auth::ValidateUserName(field->name(), value).IgnoreError();
    identity::auth::ValidateText(field->name(), value, 255).IgnoreError();
    identity::auth::ValidatePassword(field->name(), value, "user",
                                     PasswordPolicy{})
        .IgnoreError();
    identity::auth::ValidateEmail(field->name(), value).IgnoreError();
    identity::auth::ValidateMobile(field->name(), value).IgnoreError();
    // Whatever the decoder let through is valid UTF-8.
    if (!identity::auth::IsValidUtf8(value)) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::unique_ptr<google::protobuf::Message> request = NewRequest(data[0]);
  grpc::Slice slice(data + 1, size - 1);
  grpc::ByteBuffer raw(&slice, 1);
  absl::Status status = identity::service::DecodeRequest(raw, *request);
  if (!status.ok()) {
    if (!absl::IsInvalidArgument(status)) abort();
    return 0;
  }
  Validate(*request);
  return 0;
}
