// The second factor at sign-in: Authenticator with SecondFactor required.
#include "auth/authenticator.h"
#include "auth/error_reason.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"
#include "testing/totp_device.h"

namespace identity::auth {
namespace {

using storage::VerificationCodeRecord;
using testing::AuthEnv;
using testing::TotpDevice;

class SecondFactorTest : public ::testing::Test {
 protected:
  absl::StatusOr<Principal> SignIn(std::optional<std::string> code) {
    Credentials credentials;
    credentials.password =
        Credentials::Password{"alice", AuthEnv::kAlicePassword};
    credentials.verification_code = std::move(code);
    return env_.authenticator->Authenticate(credentials,
                                            SecondFactor::kRequiredWhereBound);
  }
  void BindEmail() {
    UserUpdate update;
    update.email = "alice@example.com";
    ASSERT_TRUE(env_.users.UpdateUser(env_.admin, "alice", update).ok());
  }
  std::string SendCode() {
    EXPECT_TRUE(
        env_.codes.Send(env_.alice, VerificationCodeRecord::EMAIL).ok());
    return env_.notifier.LastCode();
  }

  AuthEnv env_;
};

TEST_F(SecondFactorTest, NoChannelBoundNeedsNoCode) {
  EXPECT_TRUE(SignIn(std::nullopt).ok());
}

TEST_F(SecondFactorTest, ABoundChannelNeedsACode) {
  BindEmail();
  absl::StatusOr<Principal> missing = SignIn(std::nullopt);
  EXPECT_TRUE(absl::IsUnauthenticated(missing.status()));
  EXPECT_EQ(ReasonOf(missing.status()), kVerificationCodeRequired);

  const std::string code = SendCode();
  absl::StatusOr<Principal> wrong =
      SignIn(code == "123456" ? "654321" : "123456");
  EXPECT_TRUE(absl::IsUnauthenticated(wrong.status()));
  EXPECT_EQ(ReasonOf(wrong.status()), std::nullopt);
  EXPECT_EQ(wrong.status().message(), kInvalidCodeMessage);

  absl::StatusOr<Principal> right = SignIn(code);
  ASSERT_TRUE(right.ok()) << right.status();
  EXPECT_TRUE(right->password_verified);
  EXPECT_TRUE(absl::IsUnauthenticated(SignIn(code).status()));  // used up

  // Calls that do not demand it still work with the password alone.
  Credentials plain;
  plain.password = Credentials::Password{"alice", AuthEnv::kAlicePassword};
  EXPECT_TRUE(env_.authenticator->Authenticate(plain).ok());
}

TEST_F(SecondFactorTest, AWrongPasswordIsRefusedBeforeAnyCode) {
  BindEmail();
  Credentials credentials;
  credentials.password = Credentials::Password{"alice", "wrong-password"};
  absl::Status status =
      env_.authenticator
          ->Authenticate(credentials, SecondFactor::kRequiredWhereBound)
          .status();
  EXPECT_EQ(status.message(), kInvalidCredentialsMessage);
  EXPECT_EQ(ReasonOf(status), std::nullopt);
}

TEST_F(SecondFactorTest, WrongCodesCountTowardTheLockout) {
  BindEmail();
  for (int i = 0; i < 5; ++i) {
    // Asking for the code in between must not reset the count.
    EXPECT_EQ(ReasonOf(SignIn(std::nullopt).status()),
              kVerificationCodeRequired);
    EXPECT_TRUE(absl::IsUnauthenticated(SignIn("000000").status()));
  }
  absl::Status locked = SignIn(std::nullopt).status();
  EXPECT_EQ(ReasonOf(locked), kTooManyAttempts) << locked;
}

TEST_F(SecondFactorTest, AnMfaDeviceIsASecondFactorToo) {
  TotpDevice device(env_.mfa.Enroll(env_.alice).value());
  // Pending enrolment binds nothing yet.
  EXPECT_TRUE(SignIn(std::nullopt).ok());
  const std::string first = device.CodeAt(env_.clock.Now());
  env_.clock.Advance(absl::Seconds(30));
  ASSERT_TRUE(
      env_.mfa.Confirm(env_.alice, first, device.CodeAt(env_.clock.Now()))
          .ok());
  EXPECT_EQ(ReasonOf(SignIn(std::nullopt).status()), kVerificationCodeRequired);
  env_.clock.Advance(absl::Seconds(30));
  EXPECT_TRUE(SignIn(device.CodeAt(env_.clock.Now())).ok());
}

TEST_F(SecondFactorTest, AnyBoundChannelIsEnough) {
  BindEmail();
  TotpDevice device(env_.mfa.Enroll(env_.alice).value());
  const std::string first = device.CodeAt(env_.clock.Now());
  env_.clock.Advance(absl::Seconds(30));
  ASSERT_TRUE(
      env_.mfa.Confirm(env_.alice, first, device.CodeAt(env_.clock.Now()))
          .ok());
  // With both bound, an emailed code works as well as the device's.
  EXPECT_TRUE(SignIn(SendCode()).ok());
  env_.clock.Advance(absl::Seconds(30));
  EXPECT_TRUE(SignIn(device.CodeAt(env_.clock.Now())).ok());
}

}  // namespace
}  // namespace identity::auth
