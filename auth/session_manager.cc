#include "auth/session_manager.h"

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "auth/audit_event.h"
#include "auth/crypto.h"

namespace identity::auth {
namespace {

constexpr absl::string_view kTokenPrefix = "idt_";
constexpr size_t kTokenRandomBytes = 32;

absl::Status InvalidSession() {
  return absl::UnauthenticatedError("session is invalid or expired");
}

}  // namespace

SessionManager::SessionManager(storage::Store& store, const Clock& clock,
                               RandomSource& random, absl::Duration ttl,
                               int max_sessions_per_user)
    : store_(store),
      clock_(clock),
      random_(random),
      ttl_(ttl),
      max_sessions_per_user_(max_sessions_per_user) {}

absl::StatusOr<IssuedSession> SessionManager::Start(
    const Principal& principal) {
  std::string bytes(kTokenRandomBytes, '\0');
  if (absl::Status s = random_.Fill(absl::MakeSpan(
          reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()));
      !s.ok()) {
    return s;
  }
  IssuedSession issued;
  issued.token = std::string(kTokenPrefix) + absl::WebSafeBase64Escape(bytes);
  crypto::Cleanse(bytes);
  const absl::Time now = clock_.Now();
  issued.expire_time = now + ttl_;
  storage::SessionRecord record;
  record.set_user_id(principal.user_id);
  record.set_create_time_micros(absl::ToUnixMicros(now));
  record.set_expire_time_micros(absl::ToUnixMicros(issued.expire_time));
  if (absl::Status s = store_.CreateSession(
          crypto::Sha256(issued.token), record,
          storage::CredentialCheck{principal.user_id,
                                   principal.credential_version},
          max_sessions_per_user_,
          AuditEvents(storage::AuditEventRecord::LOGIN_SUCCEEDED, principal,
                      clock_, principal.user_id, principal.user_name));
      !s.ok()) {
    crypto::Cleanse(issued.token);
    // The password was reset or the user disabled while it was verified:
    // the sign-in fails as any stale credential does.
    if (absl::IsAborted(s) || absl::IsNotFound(s)) return InvalidSession();
    return s;
  }
  return issued;
}

absl::StatusOr<SessionManager::Resolved> SessionManager::Resolve(
    absl::string_view token) {
  if (!absl::StartsWith(token, kTokenPrefix)) return InvalidSession();
  const std::string hash = crypto::Sha256(token);
  absl::StatusOr<storage::SessionRecord> session = store_.GetSession(hash);
  if (absl::IsNotFound(session.status())) return InvalidSession();
  if (!session.ok()) return session.status();
  if (session->expire_time_micros() <= absl::ToUnixMicros(clock_.Now())) {
    // Refused from the instant it expires; the periodic purge deletes it.
    // No write here: resolving a token must stay a read (see CallRunner).
    return InvalidSession();
  }
  return Resolved{session->user_id(), hash};
}

absl::Status SessionManager::End(absl::string_view token_hash) {
  return store_.DeleteSession(token_hash);
}

absl::StatusOr<int> SessionManager::PurgeExpired() {
  return store_.PurgeExpiredSessions(absl::ToUnixMicros(clock_.Now()));
}

}  // namespace identity::auth
