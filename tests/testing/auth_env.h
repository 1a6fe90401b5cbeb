#ifndef IDENTITY_TESTS_TESTING_AUTH_ENV_H_
#define IDENTITY_TESTS_TESTING_AUTH_ENV_H_

#include <memory>
#include <string>

#include "auth/access_key_manager.h"
#include "auth/authenticator.h"
#include "auth/key_encryption_key.h"
#include "auth/password_hasher.h"
#include "auth/secret_sealer.h"
#include "auth/session_manager.h"
#include "auth/user_manager.h"
#include "gtest/gtest.h"
#include "storage/rocksdb_store.h"
#include "testing/fakes.h"
#include "testing/store_options.h"
#include "testing/temp_dir.h"

namespace identity::testing {

// The auth layer over a real RocksDB store in a temp dir, with cheap Argon2
// parameters, a fake clock, an admin "root" and a user "alice".
struct AuthEnv {
  static constexpr auth::Argon2Params kFastArgon2 = {64, 1, 1};
  static constexpr char kAdminPassword[] = "root-password-1";
  static constexpr char kAlicePassword[] = "alice-password-1";

  explicit AuthEnv(int max_keys_per_user = 2,
                   auth::KeyAgePolicy age_policy = {})
      : store(storage::OpenRocksDbStore(StoreOptions(dir.Join("data"), false))
                  .value()),
        hasher(kFastArgon2),
        sealer(auth::SecretSealer::New(
                   {{auth::KeyEncryptionKeyId(std::string(32, 'k')),
                     std::string(32, 'k')}})
                   .value()),
        sessions(*store, clock, auth::SystemRandom(), absl::Hours(1)),
        throttle(*store, clock, *sealer, auth::LockoutPolicy{}),
        codes(*store, *sealer, clock, auth::SystemRandom(), notifier),
        mfa(*store, *sealer, clock, auth::SystemRandom(), "identity-test"),
        authenticator(auth::Authenticator::New(*store, hasher, sessions,
                                               throttle, mfa, codes)
                          .value()),
        keys(*store, *sealer, clock, auth::SystemRandom(), max_keys_per_user,
             age_policy),
        users(*store, hasher, throttle, clock, auth::SystemRandom(),
              auth::PasswordPolicy{}) {
    EXPECT_TRUE(users.BootstrapAdmin("root", kAdminPassword).value());
    admin = Login("root", kAdminPassword);
    auth::NewUser alice_user;
    alice_user.user_name = "alice";
    alice_user.password = kAlicePassword;
    EXPECT_TRUE(users.CreateUser(admin, alice_user).ok());
    alice = Login("alice", kAlicePassword);
  }

  auth::Principal Login(const std::string& name, const std::string& password) {
    auth::Credentials credentials;
    credentials.password = auth::Credentials::Password{name, password};
    credentials.client_address = "192.0.2.1";
    absl::StatusOr<auth::Principal> principal =
        authenticator->Authenticate(credentials);
    EXPECT_TRUE(principal.ok()) << principal.status();
    return principal.value_or(auth::Principal{});
  }

  TempDir dir;
  std::unique_ptr<storage::Store> store;
  auth::PasswordHasher hasher;
  FakeClock clock;
  std::unique_ptr<auth::SecretSealer> sealer;
  auth::SessionManager sessions;
  auth::LoginThrottle throttle;
  RecordingNotifier notifier;
  auth::VerificationCodes codes;
  auth::MfaDevices mfa;
  std::unique_ptr<auth::Authenticator> authenticator;
  auth::AccessKeyManager keys;
  auth::UserManager users;
  auth::Principal admin;
  auth::Principal alice;
};

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_AUTH_ENV_H_
