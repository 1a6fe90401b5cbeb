#ifndef IDENTITY_TESTS_TESTING_FAILING_ENV_H_
#define IDENTITY_TESTS_TESTING_FAILING_ENV_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "rocksdb/env.h"

namespace identity::testing {

// A RocksDB Env whose write-ahead-log writes fail while `fail_wal_writes`
// is set: as on a full disk (ENOSPC, the default), or, with
// `device_error`, as on a failing device (EIO). A failed WAL write puts
// RocksDB into its sticky background error: every later write fails until
// DB::Resume() (full disk) or a reopen (device error: RocksDB 7.8 treats
// it as fatal).
class FailingEnv final : public rocksdb::EnvWrapper {
 public:
  FailingEnv() : rocksdb::EnvWrapper(rocksdb::Env::Default()) {}

  std::atomic<bool> fail_wal_writes{false};
  std::atomic<bool> device_error{false};

  const char* Name() const override { return "FailingEnv"; }

  rocksdb::Status NewWritableFile(const std::string& name,
                                  std::unique_ptr<rocksdb::WritableFile>* file,
                                  const rocksdb::EnvOptions& options) override {
    rocksdb::Status s = target()->NewWritableFile(name, file, options);
    if (s.ok() && absl::EndsWith(name, ".log")) {
      *file = std::make_unique<FailingFile>(std::move(*file), *this);
    }
    return s;
  }
  rocksdb::Status ReopenWritableFile(
      const std::string& name, std::unique_ptr<rocksdb::WritableFile>* file,
      const rocksdb::EnvOptions& options) override {
    rocksdb::Status s = target()->ReopenWritableFile(name, file, options);
    if (s.ok() && absl::EndsWith(name, ".log")) {
      *file = std::make_unique<FailingFile>(std::move(*file), *this);
    }
    return s;
  }

 private:
  class FailingFile final : public rocksdb::WritableFileWrapper {
   public:
    FailingFile(std::unique_ptr<rocksdb::WritableFile> file, FailingEnv& env)
        : rocksdb::WritableFileWrapper(file.get()),
          file_(std::move(file)),
          env_(env) {}
    rocksdb::Status Append(const rocksdb::Slice& data) override {
      if (env_.fail_wal_writes) return Fault();
      return rocksdb::WritableFileWrapper::Append(data);
    }
    rocksdb::Status Append(const rocksdb::Slice& data,
                           const rocksdb::DataVerificationInfo& info) override {
      if (env_.fail_wal_writes) return Fault();
      return rocksdb::WritableFileWrapper::Append(data, info);
    }
    rocksdb::Status Sync() override {
      if (env_.fail_wal_writes) return Fault();
      return rocksdb::WritableFileWrapper::Sync();
    }
    rocksdb::Status Fsync() override {
      if (env_.fail_wal_writes) return Fault();
      return rocksdb::WritableFileWrapper::Fsync();
    }

   private:
    rocksdb::Status Fault() const {
      return env_.device_error
                 ? rocksdb::Status::IOError("injected WAL device error")
                 : rocksdb::Status::NoSpace("injected WAL write fault");
    }
    std::unique_ptr<rocksdb::WritableFile> file_;
    FailingEnv& env_;
  };
};

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_FAILING_ENV_H_
