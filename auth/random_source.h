#ifndef IDENTITY_AUTH_RANDOM_SOURCE_H_
#define IDENTITY_AUTH_RANDOM_SOURCE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace identity::auth {

// Where random bytes come from: the CSPRNG in production, a scripted source
// in tests that must be deterministic. Implementations are thread-safe.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual absl::Status Fill(absl::Span<uint8_t> out) = 0;
};

// The operating system's CSPRNG, through the crypto wrapper.
RandomSource& SystemRandom();

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_RANDOM_SOURCE_H_
