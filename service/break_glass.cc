#include "service/break_glass.h"

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "auth/crypto.h"
#include "auth/key_encryption_key.h"
#include "auth/key_generator.h"
#include "auth/login_throttle.h"
#include "auth/password_hasher.h"
#include "auth/secret_sealer.h"
#include "auth/user_manager.h"
#include "storage/rocksdb_store.h"

namespace identity::service {

namespace {
constexpr size_t kResetPasswordLength = 24;
}  // namespace

absl::StatusOr<std::string> ResetAdmin(const std::string& data_dir,
                                       const std::string& master_key_file,
                                       const std::string& user_name) {
  if (data_dir.empty() || master_key_file.empty()) {
    return absl::InvalidArgumentError(
        "reset-admin needs --data_dir and --master_key_file, as identityd "
        "does");
  }
  // A wrong path must not create an empty store and "reset" nothing.
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::path(data_dir) / "CURRENT",
                               error)) {
    return absl::NotFoundError(
        absl::StrCat("no identity store at --data_dir ", data_dir));
  }
  storage::RocksDbStoreOptions options;
  options.path = data_dir;
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::OpenRocksDbStore(options);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::vector<auth::KeyEncryptionKey>> keks =
      auth::ReadKeyEncryptionKeyFile(master_key_file);
  if (!keks.ok()) return keks.status();
  absl::StatusOr<std::unique_ptr<auth::SecretSealer>> sealer =
      auth::SecretSealer::New(*std::move(keks));
  if (!sealer.ok()) return sealer.status();

  auth::RealClock clock;
  auth::PasswordHasher hasher(auth::kOwaspArgon2Params);
  auth::LoginThrottle throttle(**store, clock, **sealer, auth::LockoutPolicy{});
  auth::UserManager users(**store, hasher, throttle, clock,
                          auth::SystemRandom(), auth::PasswordPolicy{});
  absl::StatusOr<std::string> password = auth::RandomString(
      auth::SystemRandom(), auth::kAlphanumeric, kResetPasswordLength);
  if (!password.ok()) return password.status();
  if (absl::Status s = users.ResetAdminOnHost(user_name, *password); !s.ok()) {
    crypto::Cleanse(*password);
    return s;
  }
  return password;
}

}  // namespace identity::service
