// The store's write check: a sticky RocksDB background error is reported,
// and cleared by CheckWritable() once the fault is gone, without a restart.
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/rocksdb_store.h"
#include "testing/failing_env.h"
#include "testing/store_options.h"
#include "testing/store_records.h"
#include "testing/temp_dir.h"

namespace identity::storage {
namespace {

using testing::User;

TEST(RocksDbStoreHealthTest,
     CheckWritable_ReportsStickyErrorAndResumesOnceTheFaultIsGone) {
  testing::TempDir dir;
  testing::FailingEnv env;
  RocksDbStoreOptions options = testing::StoreOptions(dir.Join("db"), true);
  options.env = &env;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreateUser(User("u1", "before"), {}).ok());
    EXPECT_TRUE((*store)->CheckWritable().ok());

    env.fail_wal_writes = true;
    EXPECT_FALSE((*store)->CreateUser(User("u2", "during"), {}).ok());
    EXPECT_FALSE((*store)->CheckWritable().ok());
    // The error is sticky: with the device healthy again, writes still
    // fail until the store is resumed.
    env.fail_wal_writes = false;
    const absl::Status stuck = (*store)->CreateUser(User("u3", "stuck"), {});
    EXPECT_FALSE(stuck.ok());
    EXPECT_TRUE(absl::IsUnavailable(stuck)) << stuck;

    // RocksDB may be recovering on its own meanwhile (it answers Busy to
    // Resume then, and checks the disk every 5 s): the health monitor calls
    // this periodically, and so does the test, for at most 12 s.
    absl::Status checked = (*store)->CheckWritable();
    const absl::Time give_up = absl::Now() + absl::Seconds(12);
    while (!checked.ok() && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(20));
      checked = (*store)->CheckWritable();
    }
    ASSERT_TRUE(checked.ok()) << checked;
    ASSERT_TRUE((*store)->CreateUser(User("u4", "after"), {}).ok());
  }
  absl::StatusOr<std::unique_ptr<Store>> reopened = OpenRocksDbStore(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->GetUserByName("before").ok());
  EXPECT_TRUE((*reopened)->GetUserByName("after").ok());
  EXPECT_FALSE((*reopened)->GetUserByName("during").ok());
}

// Why the health monitor has a give-up path: after a device error on the
// WAL, RocksDB 7.8 refuses Resume for good; a reopen (a restart) heals it.
TEST(RocksDbStoreHealthTest, CheckWritable_DeviceErrorNeedsAReopen) {
  testing::TempDir dir;
  testing::FailingEnv env;
  env.device_error = true;
  RocksDbStoreOptions options = testing::StoreOptions(dir.Join("db"), true);
  options.env = &env;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreateUser(User("u1", "before"), {}).ok());
    env.fail_wal_writes = true;
    EXPECT_FALSE((*store)->CreateUser(User("u2", "during"), {}).ok());
    env.fail_wal_writes = false;
    for (int i = 0; i < 5; ++i) {
      EXPECT_FALSE((*store)->CheckWritable().ok());
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  absl::StatusOr<std::unique_ptr<Store>> reopened = OpenRocksDbStore(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_TRUE((*reopened)->CheckWritable().ok());
  EXPECT_TRUE((*reopened)->CreateUser(User("u3", "after"), {}).ok());
  EXPECT_TRUE((*reopened)->GetUserByName("before").ok());
}

}  // namespace
}  // namespace identity::storage
