#include "auth/verification_codes.h"

#include <atomic>
#include <thread>
#include <vector>

#include "auth/crypto.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

using storage::VerificationCodeRecord;
using testing::AuthEnv;

class VerificationCodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UserUpdate update;
    update.email = "alice@example.com";
    update.mobile = "+8613800001234";
    ASSERT_TRUE(env_.users.UpdateUser(env_.admin, "alice", update).ok());
    alice_ = env_.store->GetUserByName("alice").value();
  }

  std::string SendEmail() {
    absl::StatusOr<SentVerificationCode> sent =
        env_.codes.Send(env_.alice, VerificationCodeRecord::EMAIL);
    EXPECT_TRUE(sent.ok()) << sent.status();
    return env_.notifier.LastCode();
  }

  // A six-digit code that is not `code`.
  static std::string Other(const std::string& code) {
    return code == "000000" ? "000001" : "000000";
  }

  AuthEnv env_;
  storage::UserRecord alice_;
};

TEST_F(VerificationCodesTest, SendsSixDigitsToTheBoundChannelMasked) {
  absl::StatusOr<SentVerificationCode> sent =
      env_.codes.Send(env_.alice, VerificationCodeRecord::EMAIL);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->masked_destination, "a***@example.com");
  EXPECT_EQ(sent->expire_time, env_.clock.Now() + absl::Minutes(5));
  const std::string code = env_.notifier.LastCode();
  ASSERT_EQ(code.size(), 6u);
  EXPECT_EQ(code.find_first_not_of("0123456789"), std::string::npos);

  env_.clock.Advance(absl::Seconds(61));
  sent = env_.codes.Send(env_.alice, VerificationCodeRecord::SMS);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->masked_destination, "+86*******1234");
}

TEST_F(VerificationCodesTest, OnlyABoundChannelCanBeChosen) {
  // alice2 has neither email nor mobile.
  NewUser bare;
  bare.user_name = "bare";
  bare.password = "bare-password-1";
  ASSERT_TRUE(env_.users.CreateUser(env_.admin, bare).ok());
  const Principal caller = env_.Login("bare", "bare-password-1");
  for (auto channel :
       {VerificationCodeRecord::EMAIL, VerificationCodeRecord::SMS}) {
    EXPECT_TRUE(
        absl::IsFailedPrecondition(env_.codes.Send(caller, channel).status()));
  }
  EXPECT_TRUE(absl::IsInvalidArgument(
      env_.codes.Send(caller, VerificationCodeRecord::CHANNEL_UNSPECIFIED)
          .status()));
  EXPECT_EQ(env_.notifier.count(), 0u);
}

TEST_F(VerificationCodesTest, IsStoredOnlyAsAKeyedHash) {
  const std::string code = SendEmail();
  VerificationCodeRecord record =
      env_.store->GetVerificationCode(alice_.user_id()).value();
  EXPECT_EQ(record.code_hash().size(), 32u);
  EXPECT_EQ(record.SerializeAsString().find(code), std::string::npos);
  EXPECT_NE(record.code_hash(), crypto::Sha256(code));
}

TEST_F(VerificationCodesTest, IsGoodForOneUse) {
  const std::string code = SendEmail();
  EXPECT_TRUE(absl::IsUnauthenticated(env_.codes.Verify(alice_, Other(code))));
  EXPECT_TRUE(env_.codes.Verify(alice_, code).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(env_.codes.Verify(alice_, code)));
}

TEST_F(VerificationCodesTest, ExpiresAfterFiveMinutes) {
  const std::string code = SendEmail();
  env_.clock.Advance(absl::Minutes(5));
  EXPECT_TRUE(absl::IsUnauthenticated(env_.codes.Verify(alice_, code)));

  env_.clock.Advance(absl::Minutes(1));
  const std::string fresh = SendEmail();
  env_.clock.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_TRUE(env_.codes.Verify(alice_, fresh).ok());
}

TEST_F(VerificationCodesTest, FiveWrongTriesVoidTheCode) {
  const std::string code = SendEmail();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(
        absl::IsUnauthenticated(env_.codes.Verify(alice_, Other(code))));
  }
  EXPECT_TRUE(absl::IsUnauthenticated(env_.codes.Verify(alice_, code)));
}

TEST_F(VerificationCodesTest, OneSendAMinute) {
  const std::string first = SendEmail();
  env_.clock.Advance(absl::Seconds(59));
  absl::Status again =
      env_.codes.Send(env_.alice, VerificationCodeRecord::EMAIL).status();
  EXPECT_TRUE(absl::IsResourceExhausted(again)) << again;
  EXPECT_NE(again.message().find("retry in 1 s"), absl::string_view::npos)
      << again;
  EXPECT_EQ(env_.notifier.count(), 1u);

  env_.clock.Advance(absl::Seconds(1));
  const std::string second = SendEmail();
  // A new code voids the old one.
  if (second != first) {
    EXPECT_TRUE(absl::IsUnauthenticated(env_.codes.Verify(alice_, first)));
  }
  EXPECT_TRUE(env_.codes.Verify(alice_, second).ok());
}

TEST_F(VerificationCodesTest, AFailedDeliveryIsUnavailableAndVoidsTheCode) {
  env_.notifier.fail = true;
  absl::Status status =
      env_.codes.Send(env_.alice, VerificationCodeRecord::EMAIL).status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_NE(status.message().find("gateway down"), absl::string_view::npos);
  VerificationCodeRecord record =
      env_.store->GetVerificationCode(alice_.user_id()).value();
  EXPECT_TRUE(record.code_hash().empty());
  // The gateway is still not hammered faster than once a minute.
  env_.notifier.fail = false;
  EXPECT_TRUE(absl::IsResourceExhausted(
      env_.codes.Send(env_.alice, VerificationCodeRecord::EMAIL).status()));
}

TEST_F(VerificationCodesTest, ACodeIsBoundToItsUser) {
  UserUpdate update;
  update.email = "bob@example.com";
  NewUser bob;
  bob.user_name = "bob";
  bob.password = "bob-password-1";
  bob.email = "bob@example.com";
  ASSERT_TRUE(env_.users.CreateUser(env_.admin, bob).ok());
  const std::string code = SendEmail();
  const storage::UserRecord bob_record =
      env_.store->GetUserByName("bob").value();
  // Even with alice's record copied over, bob's code check fails.
  const VerificationCodeRecord alices =
      env_.store->GetVerificationCode(alice_.user_id()).value();
  ASSERT_TRUE(env_.store
                  ->UpdateVerificationCode(bob_record.user_id(),
                                           [&](VerificationCodeRecord& r) {
                                             r = alices;
                                             return absl::OkStatus();
                                           },
                                           {})
                  .ok());
  EXPECT_TRUE(absl::IsUnauthenticated(env_.codes.Verify(bob_record, code)));
}

TEST_F(VerificationCodesTest, ConcurrentUsesOfOneCodeSucceedOnce) {
  const std::string code = SendEmail();
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (env_.codes.Verify(alice_, code).ok()) ++accepted;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 1);
}

TEST_F(VerificationCodesTest, DeletingTheUserDeletesTheCode) {
  SendEmail();
  ASSERT_TRUE(env_.users.DeleteUser(env_.admin, "alice").ok());
  EXPECT_EQ(
      env_.store->GetVerificationCode(alice_.user_id()).value().ByteSizeLong(),
      0u);
}

}  // namespace
}  // namespace identity::auth
