#ifndef IDENTITY_AUTH_LAST_USE_RECORDER_H_
#define IDENTITY_AUTH_LAST_USE_RECORDER_H_

#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/clock.h"
#include "storage/store.h"

namespace identity::auth {

struct LastUseRecorderOptions {
  // How often pending uses are written: a key's first use is stored within
  // about this long (well inside the 5 s promised).
  absl::Duration flush_interval = absl::Seconds(1);
  // At most one write per key per this long, however often it is used.
  absl::Duration min_write_interval = absl::Minutes(1);
  // Keys waiting to be written; uses of further keys are dropped (and
  // counted) until the next flush, so memory stays bounded.
  size_t max_pending = 100000;
};

// Records when (and for SigV4, with which service and region) each access
// key was last used, off the verification path: Record() only notes the
// use in memory; a background thread writes it to the store, coalesced to
// at most one write per key per min_write_interval. Last use is advisory
// (it shows which keys to rotate), so a use dropped under overload or lost
// in a crash costs only precision. Thread-safe.
class LastUseRecorder {
 public:
  LastUseRecorder(storage::Store& store, const Clock& clock,
                  LastUseRecorderOptions options = {});
  // Writes everything pending (uses held back by the coalescing too), then
  // stops.
  ~LastUseRecorder();

  LastUseRecorder(const LastUseRecorder&) = delete;
  LastUseRecorder& operator=(const LastUseRecorder&) = delete;

  // Notes that `access_key_id` verified a signature now. Never blocks on
  // the store.
  void Record(absl::string_view access_key_id, absl::string_view service,
              absl::string_view region);

  // Writes pending uses that are due. Called by the thread; public for
  // tests.
  void Flush();

  uint64_t writes() const;
  uint64_t dropped() const;

 private:
  struct Use {
    absl::Time time;
    std::string service;
    std::string region;
  };
  void RunUntilStopped();
  // Writes pending uses whose key was not written within
  // min_write_interval, or, with `held_back_too`, all of them.
  void FlushPending(bool held_back_too);

  storage::Store& store_;
  const Clock& clock_;
  const LastUseRecorderOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Use> pending_ ABSL_GUARDED_BY(mu_);
  // When each key was last written, for the coalescing; entries older than
  // min_write_interval are pruned at each flush.
  absl::flat_hash_map<std::string, absl::Time> written_ ABSL_GUARDED_BY(mu_);
  uint64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Serializes flushes (the thread's and a test's).
  absl::Mutex flush_mu_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_LAST_USE_RECORDER_H_
