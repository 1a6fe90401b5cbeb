#ifndef IDENTITY_AUTH_SESSION_MANAGER_H_
#define IDENTITY_AUTH_SESSION_MANAGER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/clock.h"
#include "auth/principal.h"
#include "auth/random_source.h"
#include "storage/store.h"

namespace identity::auth {

inline constexpr absl::Duration kDefaultSessionTtl = absl::Hours(1);
// Live sessions one user may hold; a new one ends the oldest beyond it, so
// scripted logins cannot grow the store without bound.
inline constexpr int kDefaultMaxSessionsPerUser = 100;

struct IssuedSession {
  // "idt_" + 43 characters of base64url: 256 random bits. Secret.
  std::string token;
  absl::Time expire_time;
};

// Login sessions: an opaque random token for the client, only its SHA-256 in
// the store, so a copy of the store cannot be replayed as sessions.
// Thread-safe; every call is a store read or synced write.
class SessionManager {
 public:
  SessionManager(storage::Store& store, const Clock& clock,
                 RandomSource& random, absl::Duration ttl,
                 int max_sessions_per_user = kDefaultMaxSessionsPerUser);

  // Starts a session for the user `principal` verified. Unauthenticated if
  // their password was changed or they were disabled since (the check runs
  // in the transaction that stores the session).
  absl::StatusOr<IssuedSession> Start(const Principal& principal);

  struct Resolved {
    std::string user_id;
    std::string token_hash;
  };
  // The live session `token` names; Unauthenticated for a token that is
  // unknown, revoked or expired. Only reads the store (the periodic purge
  // deletes expired sessions).
  absl::StatusOr<Resolved> Resolve(absl::string_view token);

  // Revokes the session whose token hashes to `token_hash`; OK if it was
  // already gone.
  absl::Status End(absl::string_view token_hash);

  // Deletes expired sessions; returns how many.
  absl::StatusOr<int> PurgeExpired();

 private:
  storage::Store& store_;
  const Clock& clock_;
  RandomSource& random_;
  const absl::Duration ttl_;
  const int max_sessions_per_user_;
};

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_SESSION_MANAGER_H_
