#ifndef IDENTITY_TESTS_TESTING_FAKES_H_
#define IDENTITY_TESTS_TESTING_FAKES_H_

#include <cstdint>
#include <deque>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/clock.h"
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

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_FAKES_H_
