#ifndef IDENTITY_AUTH_CLOCK_H_
#define IDENTITY_AUTH_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace identity::auth {

// The time source, injected so tests can move time (expiry, lockouts).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_CLOCK_H_
