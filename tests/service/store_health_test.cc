// Health follows the store: NOT_SERVING while RocksDB refuses writes after
// a fault (its sticky background error), SERVING and writable again once
// the fault is gone, without a restart; or, past the limit, the daemon's
// give-up hook.
#include <atomic>
#include <string>

#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "testing/failing_env.h"
#include "testing/server_env.h"

namespace identity {
namespace {

using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus HealthOf(grpc::Channel& channel,
                                            const std::string& service) {
  auto health = grpc::health::v1::Health::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  if (!health->Check(&context, request, &response).ok()) {
    return HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

// Polls for at most `timeout`.
bool WaitForHealth(grpc::Channel& channel,
                   HealthCheckResponse::ServingStatus want,
                   absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (HealthOf(channel, "") == want &&
        HealthOf(channel, "identity.v1.UserService") == want) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

grpc::StatusCode CreateUser(testing::ServerEnv& env, const std::string& name) {
  grpc::ClientContext context;
  testing::ServerEnv::SetBasic(context, "admin", testing::kAdminPassword);
  v1::CreateUserRequest request;
  request.set_user_name(name);
  request.set_password("password-of-" + name);
  v1::CreateUserResponse response;
  return env.users->CreateUser(&context, request, &response).error_code();
}

TEST(StoreHealthTest, NotServingWhileTheStoreCannotWriteThenRecovers) {
  testing::FailingEnv storage;
  testing::ServerEnv env;
  env.config().store_env = &storage;
  env.config().store_check_interval = absl::Milliseconds(50);
  env.Start();
  grpc::Channel& channel = *env.channel();
  ASSERT_TRUE(WaitForHealth(channel, HealthCheckResponse::SERVING));

  storage.fail_wal_writes = true;
  EXPECT_EQ(CreateUser(env, "during-fault"), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(WaitForHealth(channel, HealthCheckResponse::NOT_SERVING));

  // RocksDB's own recovery from a full disk checks the space every 5 s
  // (its SstFileManager) and answers Resume with Busy meanwhile.
  storage.fail_wal_writes = false;
  EXPECT_TRUE(
      WaitForHealth(channel, HealthCheckResponse::SERVING, absl::Seconds(12)))
      << env.ReadLog();
  EXPECT_EQ(CreateUser(env, "after-fault"), grpc::StatusCode::OK);
  const std::string log = env.ReadLog();
  EXPECT_NE(log.find("\"event\":\"store_unwritable\""), std::string::npos);
  EXPECT_NE(log.find("\"event\":\"store_writable_again\""), std::string::npos);
}

TEST(StoreHealthTest, GivesUpWhenTheStoreStaysUnwritable) {
  testing::FailingEnv storage;
  testing::ServerEnv env;
  std::atomic<bool> gave_up{false};
  env.config().store_env = &storage;
  env.config().store_check_interval = absl::Milliseconds(20);
  env.config().store_unwritable_limit = absl::Milliseconds(200);
  env.config().on_store_unrecoverable = [&gave_up] { gave_up = true; };
  env.Start();

  storage.fail_wal_writes = true;
  EXPECT_EQ(CreateUser(env, "during-fault"), grpc::StatusCode::UNAVAILABLE);
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (!gave_up && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(gave_up);
  EXPECT_NE(env.ReadLog().find("\"event\":\"store_unrecoverable\""),
            std::string::npos);
  storage.fail_wal_writes = false;
}

}  // namespace
}  // namespace identity
