#ifndef IDENTITY_TESTS_TESTING_FAKES_H_
#define IDENTITY_TESTS_TESTING_FAKES_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/clock.h"
#include "auth/notifier.h"
#include "auth/random_source.h"

namespace identity::testing {

// Plays back scripted bytes, then zeros: makes generators deterministic.
class ScriptedRandom final : public auth::RandomSource {
 public:
  explicit ScriptedRandom(std::string bytes = "")
      : bytes_(bytes.begin(), bytes.end()) {}
  absl::Status Fill(absl::Span<uint8_t> out) override {
    absl::MutexLock lock(&mu_);
    for (uint8_t& b : out) {
      if (bytes_.empty()) {
        b = 0;
      } else {
        b = static_cast<uint8_t>(bytes_.front());
        bytes_.pop_front();
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  std::deque<char> bytes_;
};

// A clock that moves only when told to.
class FakeClock final : public auth::Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1800000000))
      : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

// Keeps what it is asked to deliver, so a test can read the code a user
// would receive; answers Unavailable while `fail` is set.
class RecordingNotifier final : public auth::Notifier {
 public:
  absl::Status Send(const auth::Notification& notification) override {
    absl::MutexLock lock(&mu_);
    if (fail) return absl::UnavailableError("gateway down");
    sent_.push_back(notification);
    return absl::OkStatus();
  }
  // The six digits of the last message; empty if none was sent.
  std::string LastCode() const {
    absl::MutexLock lock(&mu_);
    if (sent_.empty()) return "";
    const std::string& message = sent_.back().message;
    const size_t at = message.find_first_of("0123456789");
    return at == std::string::npos ? "" : message.substr(at, 6);
  }
  size_t count() const {
    absl::MutexLock lock(&mu_);
    return sent_.size();
  }
  bool fail = false;

 private:
  mutable absl::Mutex mu_;
  std::vector<auth::Notification> sent_;
};

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_FAKES_H_
