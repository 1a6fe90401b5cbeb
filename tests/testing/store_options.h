#ifndef IDENTITY_TESTS_TESTING_STORE_OPTIONS_H_
#define IDENTITY_TESTS_TESTING_STORE_OPTIONS_H_

#include <string>

#include "storage/rocksdb_store.h"

namespace identity::testing {

// Store options for a test: the defaults, at `path`.
inline storage::RocksDbStoreOptions StoreOptions(const std::string& path,
                                                 bool sync_writes) {
  storage::RocksDbStoreOptions options;
  options.path = path;
  options.sync_writes = sync_writes;
  return options;
}

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_STORE_OPTIONS_H_
