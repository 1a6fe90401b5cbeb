#ifndef IDENTITY_TESTS_TESTING_SECRET_SCAN_H_
#define IDENTITY_TESTS_TESTING_SECRET_SCAN_H_

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/rocksdb_store.h"

namespace identity::testing {

// Every byte RocksDB wrote: each column family through the API, and every
// file in the data directory as raw bytes (WAL, SST, MANIFEST, LOG). The
// store must be closed.
inline std::vector<std::string> EverythingStored(const std::string& data_dir) {
  std::vector<std::string> blobs;
  rocksdb::Options options;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : storage::AllColumnFamilies()) {
    descriptors.emplace_back(name, options);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, data_dir,
                                                   descriptors, &handles, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (s.ok()) {
    for (rocksdb::ColumnFamilyHandle* handle : handles) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, handle));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        blobs.push_back(it->key().ToString() + it->value().ToString());
      }
      db->DestroyColumnFamilyHandle(handle);
    }
    delete db;
  }
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(data_dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    blobs.push_back(bytes.str());
  }
  return blobs;
}

// How many of `blobs` hold any of `secrets`, reported without printing
// the secret: a failing test must not leak what it looked for.
inline int CountSecretHits(const std::vector<std::string>& blobs,
                           const std::vector<std::string>& secrets,
                           const std::string& what) {
  int hits = 0;
  for (size_t s = 0; s < secrets.size(); ++s) {
    EXPECT_FALSE(secrets[s].empty()) << "secret #" << s << " is empty";
    for (const std::string& blob : blobs) {
      if (blob.find(secrets[s]) != std::string::npos) {
        ADD_FAILURE() << what << " holds secret #" << s << " (length "
                      << secrets[s].size() << ")";
        ++hits;
      }
    }
  }
  return hits;
}

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_SECRET_SCAN_H_
