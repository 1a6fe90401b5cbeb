#include "auth/mfa_devices.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"
#include "testing/totp_device.h"

namespace identity::auth {
namespace {

using testing::AuthEnv;
using testing::TotpDevice;

class MfaDevicesTest : public ::testing::Test {
 protected:
  storage::UserRecord Alice() {
    return env_.store->GetUserByName("alice").value();
  }
  // Enrols and confirms alice's device.
  TotpDevice EnrolAlice() {
    absl::StatusOr<std::string> uri = env_.mfa.Enroll(env_.alice);
    EXPECT_TRUE(uri.ok()) << uri.status();
    TotpDevice device(uri.value_or(""));
    const std::string first = device.CodeAt(env_.clock.Now());
    env_.clock.Advance(absl::Seconds(30));
    const std::string second = device.CodeAt(env_.clock.Now());
    EXPECT_TRUE(env_.mfa.Confirm(env_.alice, first, second).ok());
    return device;
  }

  AuthEnv env_;
};

TEST_F(MfaDevicesTest, EnrolmentReturnsAnOtpauthUriOnce) {
  absl::StatusOr<std::string> uri = env_.mfa.Enroll(env_.alice);
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_TRUE(absl::StartsWith(*uri, "otpauth://totp/identity-test:alice?"));
  EXPECT_TRUE(TotpDevice(*uri).valid());
  // Stored sealed: the record holds no base32 secret.
  const storage::UserRecord alice = Alice();
  EXPECT_TRUE(alice.has_mfa_secret());
  EXPECT_FALSE(alice.mfa_confirmed());
  const std::string secret = uri->substr(uri->find("secret=") + 7, 32);
  EXPECT_EQ(alice.SerializeAsString().find(secret), std::string::npos);
}

TEST_F(MfaDevicesTest, EnrolmentNeedsThePassword) {
  Principal session = env_.alice;
  session.password_verified = false;
  EXPECT_TRUE(absl::IsUnauthenticated(env_.mfa.Enroll(session).status()));
}

TEST_F(MfaDevicesTest, ConfirmationNeedsTwoConsecutiveCodes) {
  TotpDevice device(env_.mfa.Enroll(env_.alice).value());
  const absl::Time now = env_.clock.Now();
  const std::string code = device.CodeAt(now);
  // The same code twice, or two codes a step apart, do not confirm.
  EXPECT_TRUE(
      absl::IsInvalidArgument(env_.mfa.Confirm(env_.alice, code, code)));
  EXPECT_TRUE(absl::IsInvalidArgument(env_.mfa.Confirm(
      env_.alice, device.CodeAt(now - absl::Seconds(60)), code)));
  EXPECT_FALSE(Alice().mfa_confirmed());
  // The previous step's code, then the current one.
  EXPECT_TRUE(
      env_.mfa.Confirm(env_.alice, device.CodeAt(now - absl::Seconds(30)), code)
          .ok());
  EXPECT_TRUE(Alice().mfa_confirmed());
  EXPECT_TRUE(
      absl::IsFailedPrecondition(env_.mfa.Confirm(env_.alice, code, code)));
}

TEST_F(MfaDevicesTest, ACodeIsNeverAcceptedTwice) {
  TotpDevice device = EnrolAlice();
  // The confirmation used the current step: its code is spent.
  EXPECT_TRUE(absl::IsUnauthenticated(
      env_.mfa.Verify(Alice(), device.CodeAt(env_.clock.Now()))));
  env_.clock.Advance(absl::Seconds(30));
  const std::string code = device.CodeAt(env_.clock.Now());
  EXPECT_TRUE(env_.mfa.Verify(Alice(), code).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(env_.mfa.Verify(Alice(), code)));
}

TEST_F(MfaDevicesTest, ConcurrentUsesOfOneCodeSucceedOnce) {
  TotpDevice device = EnrolAlice();
  env_.clock.Advance(absl::Seconds(30));
  const std::string code = device.CodeAt(env_.clock.Now());
  const storage::UserRecord alice = Alice();
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (env_.mfa.Verify(alice, code).ok()) ++accepted;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 1);
}

TEST_F(MfaDevicesTest, AcceptsOneStepOfDriftEitherSide) {
  TotpDevice device = EnrolAlice();
  env_.clock.Advance(absl::Minutes(5));
  const absl::Time now = env_.clock.Now();
  EXPECT_TRUE(absl::IsUnauthenticated(
      env_.mfa.Verify(Alice(), device.CodeAt(now - absl::Seconds(60)))));
  EXPECT_TRUE(
      env_.mfa.Verify(Alice(), device.CodeAt(now - absl::Seconds(30))).ok());
  EXPECT_TRUE(
      env_.mfa.Verify(Alice(), device.CodeAt(now + absl::Seconds(30))).ok());
  env_.clock.Advance(absl::Minutes(5));
  EXPECT_TRUE(absl::IsUnauthenticated(env_.mfa.Verify(
      Alice(), device.CodeAt(env_.clock.Now() + absl::Seconds(60)))));
}

TEST_F(MfaDevicesTest, OneDeviceAtATimeAndAdminsCanRemoveIt) {
  EnrolAlice();
  EXPECT_TRUE(absl::IsFailedPrecondition(env_.mfa.Enroll(env_.alice).status()));
  // A user cannot remove someone else's device; an admin can.
  EXPECT_TRUE(absl::IsPermissionDenied(env_.mfa.Delete(env_.alice, "root")));
  EXPECT_TRUE(env_.mfa.Delete(env_.admin, "alice").ok());
  EXPECT_FALSE(Alice().has_mfa_secret());
  EXPECT_TRUE(absl::IsNotFound(env_.mfa.Delete(env_.admin, "alice")));
  EXPECT_TRUE(env_.mfa.Enroll(env_.alice).ok());
}

}  // namespace
}  // namespace identity::auth
