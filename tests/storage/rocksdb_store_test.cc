#include "storage/rocksdb_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "testing/store_engines.h"
#include "testing/store_options.h"
#include "testing/temp_dir.h"

namespace identity::storage {
namespace {

UserRecord UserWithHash(const std::string& id, const std::string& name) {
  UserRecord user;
  user.set_user_id(id);
  user.set_user_name(name);
  user.set_role(UserRecord::USER);
  user.set_password_hash("$argon2id$placeholder");
  return user;
}

AccessKeyRecord SealedKey(const std::string& id, const std::string& user_id,
                          int64_t created = 1) {
  AccessKeyRecord key;
  key.set_access_key_id(id);
  key.set_user_id(user_id);
  key.set_status(AccessKeyRecord::ACTIVE);
  key.set_create_time_micros(created);
  key.mutable_sealed_secret()->set_kek_id("kek");
  key.mutable_sealed_secret()->set_ciphertext("sealed-bytes");
  return key;
}

class RocksDbStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() {
    absl::StatusOr<std::unique_ptr<Store>> store =
        OpenRocksDbStore(testing::StoreOptions(dir_.Join("db"), true));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  testing::TempDir dir_;
};

// The Store's behaviour, on every engine.
class StoreTest : public testing::StoreEngineTest {
 protected:
  std::unique_ptr<Store> Open() { return OpenStore(true); }
};
IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(StoreTest);

TEST_P(StoreTest, UsersByIdAndByNameIgnoringCase) {
  auto store = Open();
  EXPECT_FALSE(store->HasUsers().value());
  ASSERT_TRUE(store->CreateUser(UserWithHash("U1", "Alice"), {}).ok());
  EXPECT_TRUE(store->HasUsers().value());
  EXPECT_EQ(store->GetUserById("U1").value().user_name(), "Alice");
  EXPECT_EQ(store->GetUserByName("alice").value().user_id(), "U1");
  EXPECT_EQ(store->GetUserByName("ALICE").value().user_id(), "U1");
  EXPECT_TRUE(absl::IsNotFound(store->GetUserById("U2").status()));
  EXPECT_TRUE(absl::IsNotFound(store->GetUserByName("bob").status()));
}

TEST_P(StoreTest, CreateUserRefusesTakenNameOrId) {
  auto store = Open();
  ASSERT_TRUE(store->CreateUser(UserWithHash("U1", "alice"), {}).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(
      store->CreateUser(UserWithHash("U2", "ALICE"), {})));
  EXPECT_TRUE(
      absl::IsAlreadyExists(store->CreateUser(UserWithHash("U1", "bob"), {})));
  EXPECT_TRUE(absl::IsNotFound(store->GetUserByName("bob").status()));
}

TEST_P(StoreTest, CreateAccessKeyEnforcesLimitAndUniqueness) {
  auto store = Open();
  ASSERT_TRUE(store->CreateUser(UserWithHash("U1", "alice"), {}).ok());
  EXPECT_TRUE(
      store->CreateAccessKey(SealedKey("K1", "U1"), 2, std::nullopt, {}).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(
      store->CreateAccessKey(SealedKey("K1", "U1"), 2, std::nullopt, {})));
  EXPECT_TRUE(
      store->CreateAccessKey(SealedKey("K2", "U1"), 2, std::nullopt, {}).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store->CreateAccessKey(SealedKey("K3", "U1"), 2, std::nullopt, {})));
  EXPECT_TRUE(absl::IsNotFound(store->GetAccessKey("K3").status()));
  EXPECT_TRUE(absl::IsNotFound(
      store->CreateAccessKey(SealedKey("K4", "U9"), 2, std::nullopt, {})));
  EXPECT_EQ(store->GetAccessKey("K2").value().sealed_secret().ciphertext(),
            "sealed-bytes");
}

TEST_P(StoreTest, ListIsPerUserOldestFirst) {
  auto store = Open();
  // "U1" is a prefix of "U10": the index must still keep them apart.
  ASSERT_TRUE(store->CreateUser(UserWithHash("U1", "a"), {}).ok());
  ASSERT_TRUE(store->CreateUser(UserWithHash("U10", "b"), {}).ok());
  ASSERT_TRUE(
      store->CreateAccessKey(SealedKey("KB", "U1", 20), 5, std::nullopt, {})
          .ok());
  ASSERT_TRUE(
      store->CreateAccessKey(SealedKey("KA", "U1", 10), 5, std::nullopt, {})
          .ok());
  ASSERT_TRUE(
      store->CreateAccessKey(SealedKey("KC", "U10", 5), 5, std::nullopt, {})
          .ok());
  std::vector<AccessKeyRecord> keys = store->ListAccessKeys("U1").value();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].access_key_id(), "KA");
  EXPECT_EQ(keys[1].access_key_id(), "KB");
  ASSERT_EQ(store->ListAccessKeys("U10").value().size(), 1u);
  EXPECT_TRUE(store->ListAccessKeys("U2").value().empty());
}

TEST_P(StoreTest, IdsWithNulBytesAreRejected) {
  auto store = Open();
  EXPECT_TRUE(absl::IsInvalidArgument(
      store->CreateUser(UserWithHash(std::string("U\0x", 3), "x"), {})));
  EXPECT_TRUE(absl::IsInvalidArgument(
      store->ListAccessKeys(std::string("U\0", 2)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store->GetAccessKey("").status()));
}

TEST_P(StoreTest, ConcurrentCreatesNeverExceedTheLimit) {
  auto store = Open();
  ASSERT_TRUE(store->CreateUser(UserWithHash("U1", "alice"), {}).ok());
  std::atomic<int> created{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      absl::Status s = store->CreateAccessKey(
          SealedKey(absl::StrCat("K", t), "U1"), 2, std::nullopt, {});
      if (s.ok()) {
        ++created;
      } else if (absl::IsFailedPrecondition(s)) {
        ++limited;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 2);
  EXPECT_EQ(limited.load(), 30);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(store->ListAccessKeys("U1").value().size(), 2u);
}

TEST_P(StoreTest, EverythingSurvivesARestart) {
  {
    auto store = Open();
    ASSERT_TRUE(store->CreateUser(UserWithHash("U1", "alice"), {}).ok());
    ASSERT_TRUE(
        store->CreateAccessKey(SealedKey("K1", "U1"), 2, std::nullopt, {})
            .ok());
    ASSERT_TRUE(
        store->CreateAccessKey(SealedKey("K2", "U1"), 2, std::nullopt, {})
            .ok());
  }
  auto store = Open();
  EXPECT_EQ(store->GetUserByName("alice").value().user_id(), "U1");
  EXPECT_EQ(store->ListAccessKeys("U1").value().size(), 2u);
  EXPECT_TRUE(absl::IsFailedPrecondition(
      store->CreateAccessKey(SealedKey("K3", "U1"), 2, std::nullopt, {})));
}

TEST_F(RocksDbStoreTest, SecondOpenOfTheSameDirectoryFails) {
  auto store = Open();
  absl::StatusOr<std::unique_ptr<Store>> second =
      OpenRocksDbStore(testing::StoreOptions(dir_.Join("db"), true));
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
  // Said so that the operator knows what to stop.
  EXPECT_TRUE(absl::StrContains(
      second.status().message(),
      absl::StrCat("another identityd is using ", dir_.Join("db"))))
      << second.status();
}

// Writes `value` under `key` in column family `family`, bypassing the store.
void RawPut(const std::string& path, const std::string& family,
            const std::string& key, const std::string& value) {
  rocksdb::Options options;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  std::vector<std::string> names = AllColumnFamilies();
  names.push_back(family);
  for (const std::string& name : names) descriptors.emplace_back(name, options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::Open(options, path, descriptors, &handles, &db).ok());
  ASSERT_TRUE(db->Put({}, handles.back(), key, value).ok());
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  delete db;
}

TEST_F(RocksDbStoreTest, CorruptRecordIsDataLossNotACrash) {
  {
    auto store = Open();
    ASSERT_TRUE(store->CreateUser(UserWithHash("U1", "alice"), {}).ok());
  }
  RawPut(dir_.Join("db"), kAccessKeysColumnFamily, "KBAD", "\xff\xff\xff");
  auto store = Open();
  EXPECT_TRUE(absl::IsDataLoss(store->GetAccessKey("KBAD").status()));
}

TEST_F(RocksDbStoreTest, OpensAStoreWithAnExtraColumnFamily) {
  { Open(); }
  RawPut(dir_.Join("db"), "from_a_newer_version", "k", "v");
  EXPECT_NE(Open(), nullptr);
}

}  // namespace
}  // namespace identity::storage
