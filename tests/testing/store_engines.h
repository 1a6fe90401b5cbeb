#ifndef IDENTITY_TESTS_TESTING_STORE_ENGINES_H_
#define IDENTITY_TESTS_TESTING_STORE_ENGINES_H_

#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/etcd/etcd_engine.h"
#include "storage/rocksdb_store.h"
#include "testing/etcd_cluster.h"
#include "testing/temp_dir.h"

namespace identity::testing {

// The engines the store conformance suite runs on.
enum class StoreEngine { kRocksDb, kEtcd };

inline std::string StoreEngineName(
    const ::testing::TestParamInfo<StoreEngine>& info) {
  return info.param == StoreEngine::kRocksDb ? "RocksDb" : "Etcd";
}

// One 3-member cluster for the whole test binary, started on first use and
// stopped at exit; each test keeps to its own key prefix.
inline EtcdCluster& SharedEtcdCluster() {
  static EtcdCluster* cluster = [] {
    auto* started = new EtcdCluster();
    EXPECT_TRUE(started->WaitForQuorum(absl::Seconds(20)))
        << "the etcd cluster did not come up";
    std::atexit([] { delete cluster; });
    return started;
  }();
  return *cluster;
}

// The endpoints of the cluster the tests of this process share: the ctest
// run's (IDENTITY_TEST_ETCD_ENDPOINTS_FILE, written by
// testing/etcd_test_cluster.py once it has a quorum), else this process's
// own, started on first use.
inline std::vector<std::string> SharedEtcdEndpoints() {
  static const std::vector<std::string> endpoints = [] {
    const char* file = std::getenv("IDENTITY_TEST_ETCD_ENDPOINTS_FILE");
    std::string line;
    if (file != nullptr) {
      std::ifstream in(file);
      std::getline(in, line);
      EXPECT_FALSE(line.empty())
          << "no endpoints in " << file << ": did etcd_test_cluster_start run?";
    }
    if (line.empty()) return SharedEtcdCluster().endpoints();
    return std::vector<std::string>(absl::StrSplit(line, ','));
  }();
  return endpoints;
}

// Options of an etcd store for a test: the shared cluster, `prefix`.
inline storage::EtcdEngineOptions EtcdStoreOptions(const std::string& prefix) {
  storage::EtcdEngineOptions options;
  options.endpoints = SharedEtcdEndpoints();
  options.prefix = prefix;
  return options;
}

// A fixture base: OpenStore() opens the engine under test on this test's
// own data (a directory, an etcd prefix), the same data each time, so a
// test can close and reopen.
class StoreEngineTest : public ::testing::TestWithParam<StoreEngine> {
 protected:
  std::unique_ptr<storage::Store> OpenStore(
      bool sync_writes,
      std::function<void(const storage::AuditEventRecord&)> observer = {}) {
    absl::StatusOr<std::unique_ptr<storage::Store>> store;
    if (GetParam() == StoreEngine::kRocksDb) {
      storage::RocksDbStoreOptions options;
      options.path = dir_.Join("db");
      options.sync_writes = sync_writes;
      options.audit_observer = std::move(observer);
      store = storage::OpenRocksDbStore(options);
    } else {
      store = storage::OpenEtcdStore(EtcdStoreOptions(prefix_),
                                     std::move(observer));
    }
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  TempDir dir_;
  const std::string prefix_ = absl::StrCat("/test-", getpid(), "-",
                                           absl::ToUnixNanos(absl::Now()), "/");
};

#define IDENTITY_INSTANTIATE_FOR_EVERY_STORE_ENGINE(fixture)        \
  INSTANTIATE_TEST_SUITE_P(                                         \
      Engines, fixture,                                             \
      ::testing::Values(::identity::testing::StoreEngine::kRocksDb, \
                        ::identity::testing::StoreEngine::kEtcd),   \
      ::identity::testing::StoreEngineName)

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_STORE_ENGINES_H_
