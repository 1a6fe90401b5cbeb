#include "storage/rocksdb_store.h"

#include <utility>

#include "rocksdb/db.h"
#include "storage/rocksdb_engine.h"

namespace identity::storage {

std::vector<std::string> AllColumnFamilies() {
  std::vector<std::string> families = {rocksdb::kDefaultColumnFamilyName};
  for (std::string& space : AllSpaces()) families.push_back(std::move(space));
  return families;
}

absl::StatusOr<std::unique_ptr<Store>> OpenRocksDbStore(
    const RocksDbStoreOptions& options) {
  RocksDbEngineOptions engine_options;
  engine_options.path = options.path;
  engine_options.spaces = AllSpaces();
  engine_options.sync_writes = options.sync_writes;
  engine_options.block_cache_mib = options.block_cache_mib;
  engine_options.write_buffers_mib = options.write_buffers_mib;
  engine_options.env = options.env;
  absl::StatusOr<std::unique_ptr<KvEngine>> engine =
      OpenRocksDbEngine(engine_options);
  if (!engine.ok()) return engine.status();
  return NewKvStore(*std::move(engine), options.audit_observer);
}

}  // namespace identity::storage
