#ifndef IDENTITY_AUTH_PASSWORD_HASHER_H_
#define IDENTITY_AUTH_PASSWORD_HASHER_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/phc_string.h"
#include "auth/random_source.h"

namespace identity::auth {

// OWASP's Argon2id recommendation: 19 MiB, 2 passes, 1 lane.
inline constexpr Argon2Params kOwaspArgon2Params = {19 * 1024, 2, 1};
inline constexpr size_t kArgon2SaltBytes = 16;
inline constexpr size_t kArgon2HashBytes = 32;

// Argon2id (RFC 9106) as raw bytes, with the optional secret and associated
// data of the RFC. The building block of PasswordHasher, exposed for the
// known-answer test.
absl::StatusOr<std::string> Argon2idRaw(const Argon2Params& params,
                                        absl::string_view password,
                                        absl::string_view salt,
                                        absl::string_view secret,
                                        absl::string_view associated_data,
                                        size_t hash_bytes);

// Hashes and verifies passwords with Argon2id, storing PHC strings. Each call
// costs `params.memory_kib` of memory and tens of milliseconds of CPU: call it
// from the worker pool, never from a gRPC reaction thread. Thread-safe.
class PasswordHasher {
 public:
  explicit PasswordHasher(Argon2Params params = kOwaspArgon2Params,
                          RandomSource& random = SystemRandom());

  // A PHC string with a fresh random salt.
  absl::StatusOr<std::string> Hash(absl::string_view password) const;

  // True if `password` matches `phc`, compared in constant time. An error
  // only if `phc` is malformed (a corrupt record), never for a mismatch.
  absl::StatusOr<bool> Verify(absl::string_view password,
                              absl::string_view phc) const;

  // True if `phc` was made with parameters other than this hasher's, so a
  // successful login should store a fresh hash.
  bool NeedsRehash(absl::string_view phc) const;

  const Argon2Params& params() const { return params_; }

  // Argon2 computations so far (hashes and verifications): lets tests and
  // metrics see that a path did, or did not, pay for one.
  uint64_t computations() const { return computations_.load(); }
  // Of those, the verifications (password checks).
  uint64_t verifications() const { return verifications_.load(); }

 private:
  const Argon2Params params_;
  RandomSource& random_;
  mutable std::atomic<uint64_t> computations_{0};
  mutable std::atomic<uint64_t> verifications_{0};
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_PASSWORD_HASHER_H_
