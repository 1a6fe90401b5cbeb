#include "service/status_mapping.h"

#include "auth/error_reason.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace identity::service {
namespace {

TEST(StatusMapping, CodesAndMessagesCarryOver) {
  grpc::Status s = ToGrpcStatus(absl::NotFoundError("user not found"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "user not found");
  EXPECT_TRUE(s.error_details().empty());
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("x")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(StatusMapping, ReasonBecomesErrorInfo) {
  grpc::Status s = ToGrpcStatus(auth::WithReason(
      absl::FailedPreconditionError("limit"), auth::kAccessKeyLimitExceeded));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::FAILED_PRECONDITION));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "ACCESS_KEY_LIMIT_EXCEEDED");
  EXPECT_EQ(info.domain(), "identity.v1");
}

TEST(StatusMapping, InternalDetailStaysOnTheServer) {
  grpc::Status s = ToGrpcStatus(
      absl::DataLossError("sealed secret of access key AKID does not ..."));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(s.error_message(), "internal error");
}

TEST(StatusMapping, StorageFaultsNameNoFileOrEngineText) {
  grpc::Status s = ToGrpcStatus(absl::UnavailableError(
      "storage: commit: IO error: No space left on device: While appending "
      "to file: /var/lib/identity/000012.log"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(s.error_message(), "storage unavailable: try again later");
  // Other unavailable answers (a notifier, shutting down) keep their text.
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("no notifier")).error_message(),
            "no notifier");
}

}  // namespace
}  // namespace identity::service
