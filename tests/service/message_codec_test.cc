#include "service/message_codec.h"

#include "gtest/gtest.h"
#include "identity/v1/access_key_service.pb.h"

namespace identity::service {
namespace {

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(MessageCodec, DecodesAValidRequest) {
  v1::CreateAccessKeyRequest sent;
  sent.set_user_name("alice");
  sent.set_description("laptop");
  v1::CreateAccessKeyRequest got;
  ASSERT_TRUE(DecodeRequest(Buffer(sent.SerializeAsString()), got).ok());
  EXPECT_EQ(got.user_name(), "alice");
  EXPECT_EQ(got.description(), "laptop");
}

TEST(MessageCodec, NamesTheStringFieldWithInvalidUtf8) {
  // field 2 (description), length 2, bytes ff fe
  v1::CreateAccessKeyRequest got;
  absl::Status s =
      DecodeRequest(Buffer(std::string("\x12\x02\xff\xfe", 4)), got);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message(), "description: must be valid UTF-8");
}

TEST(MessageCodec, GarbageIsInvalidArgumentNamingTheType) {
  v1::CreateAccessKeyRequest got;
  absl::Status s = DecodeRequest(Buffer("\xff\xff\xff\xff"), got);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_EQ(s.message(),
            "request is not a valid identity.v1.CreateAccessKeyRequest");
  // A length that runs past the end of the message.
  s = DecodeRequest(Buffer("\x12\x05"
                           "ab"),
                    got);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
}

TEST(MessageCodec, EncodesResponses) {
  v1::CreateAccessKeyResponse response;
  response.set_secret_access_key("s3cr3t");
  grpc::ByteBuffer raw;
  EncodeResponse(response, raw);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(raw.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  v1::CreateAccessKeyResponse decoded;
  ASSERT_TRUE(decoded.ParseFromString(bytes));
  EXPECT_EQ(decoded.secret_access_key(), "s3cr3t");
}

}  // namespace
}  // namespace identity::service
