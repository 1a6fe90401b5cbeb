// identity_bulk_load: fills a store for the scale benchmark straight
// through the Store interface (no RPCs, no Argon2 per user: every user gets
// the same precomputed hash of --user_password), with an admin whose
// password is read from --admin_password_file, and --keys_per_user sealed
// keys per user. Creates the KEK file if it is missing.
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "auth/key_encryption_key.h"
#include "auth/key_generator.h"
#include "auth/password_hasher.h"
#include "auth/random_source.h"
#include "auth/secret_sealer.h"
#include "storage/rocksdb_store.h"
#include "testing/files.h"

ABSL_FLAG(std::string, data_dir, "", "store directory");
ABSL_FLAG(std::string, master_key_file, "", "KEK file (created if missing)");
ABSL_FLAG(std::string, admin_password_file, "", "the admin's password");
ABSL_FLAG(int, users, 1000, "users to add (besides the admin)");
ABSL_FLAG(int, keys_per_user, 2, "access keys per user");
ABSL_FLAG(int, threads, 2, "writer threads");

namespace identity::bench {
namespace {

storage::UserRecord User(const std::string& id, const std::string& name,
                         const std::string& hash,
                         storage::UserRecord::Role role, int64_t now) {
  storage::UserRecord user;
  user.set_user_id(id);
  user.set_user_name(name);
  user.set_role(role);
  user.set_password_hash(hash);
  user.set_create_time_micros(now);
  user.set_update_time_micros(now);
  return user;
}

int Main() {
  const std::string kek_path = absl::GetFlag(FLAGS_master_key_file);
  if (!std::ifstream(kek_path).good()) {
    absl::Status created = auth::CreateKeyEncryptionKeyFile(kek_path);
    if (!created.ok()) {
      std::fprintf(stderr, "%s\n", std::string(created.message()).c_str());
      return 1;
    }
  }
  auto sealer =
      auth::SecretSealer::New(auth::ReadKeyEncryptionKeyFile(kek_path).value())
          .value();
  storage::RocksDbStoreOptions options;
  options.path = absl::GetFlag(FLAGS_data_dir);
  options.sync_writes = false;  // one fsync at the close is enough here
  auto store = storage::OpenRocksDbStore(options).value();

  auth::PasswordHasher hasher;
  const int64_t now = absl::ToUnixMicros(absl::Now());
  const std::string admin_hash =
      hasher
          .Hash(testing::ReadTrimmedFile(
              absl::GetFlag(FLAGS_admin_password_file)))
          .value();
  absl::Status admin = store->CreateUser(
      User(auth::GenerateUserId(auth::SystemRandom()).value(), "admin",
           admin_hash, storage::UserRecord::ADMIN, now),
      {});
  if (!admin.ok() && !absl::IsAlreadyExists(admin)) {
    std::fprintf(stderr, "admin: %s\n", std::string(admin.message()).c_str());
    return 1;
  }
  const std::string user_hash = hasher.Hash("bulk-password-1").value();

  const int users = absl::GetFlag(FLAGS_users);
  const int keys_per_user = absl::GetFlag(FLAGS_keys_per_user);
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> writers;
  for (int t = 0; t < absl::GetFlag(FLAGS_threads); ++t) {
    writers.emplace_back([&] {
      for (int i = next++; i < users; i = next++) {
        const std::string user_id =
            auth::GenerateUserId(auth::SystemRandom()).value();
        if (!store
                 ->CreateUser(User(user_id, absl::StrFormat("bulk-%07d", i),
                                   user_hash, storage::UserRecord::USER, now),
                              {})
                 .ok()) {
          ++failures;
          continue;
        }
        for (int k = 0; k < keys_per_user; ++k) {
          storage::AccessKeyRecord key;
          key.set_access_key_id(
              auth::GenerateAccessKeyId(auth::SystemRandom()).value());
          key.set_user_id(user_id);
          key.set_status(storage::AccessKeyRecord::ACTIVE);
          key.set_create_time_micros(now);
          const std::string secret =
              auth::GenerateSecretAccessKey(auth::SystemRandom()).value();
          *key.mutable_sealed_secret() =
              sealer->Seal(key.access_key_id(), secret).value();
          if (!store->CreateAccessKey(key, keys_per_user, std::nullopt, {})
                   .ok())
            ++failures;
        }
        if (i % 100000 == 0 && i > 0) {
          std::fprintf(stderr, "bulk load: %d users\n", i);
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  store.reset();
  std::printf(
      "{\"name\":\"bulk_load\",\"users\":%d,\"keys\":%lld,\"seconds\":%.1f,"
      "\"failures\":%d}\n",
      users, static_cast<long long>(users) * keys_per_user, seconds,
      failures.load());
  return failures.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace identity::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return identity::bench::Main();
}
