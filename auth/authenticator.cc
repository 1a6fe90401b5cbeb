#include "auth/authenticator.h"

#include "auth/crypto.h"
#include "auth/error_reason.h"
#include "auth/validation.h"

namespace identity::auth {
namespace {

absl::Status InvalidCredentials() {
  return absl::UnauthenticatedError(kInvalidCredentialsMessage);
}

}  // namespace

bool HasSecondFactor(const storage::UserRecord& user) {
  return !user.email().empty() || !user.mobile().empty() ||
         user.mfa_confirmed();
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::New(
    storage::Store& store, const PasswordHasher& hasher,
    SessionManager& sessions, LoginThrottle& throttle, MfaDevices& mfa,
    VerificationCodes& codes, const ServicePrincipals* services) {
  absl::StatusOr<std::string> dummy_password = crypto::RandomBytes(32);
  if (!dummy_password.ok()) return dummy_password.status();
  absl::StatusOr<std::string> dummy_hash = hasher.Hash(*dummy_password);
  crypto::Cleanse(*dummy_password);
  if (!dummy_hash.ok()) return dummy_hash.status();
  return std::unique_ptr<Authenticator>(
      new Authenticator(store, hasher, sessions, throttle, mfa, codes, services,
                        *std::move(dummy_hash)));
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    const Credentials& credentials, SecondFactor second_factor) const {
  absl::StatusOr<Principal> principal;
  if (credentials.password.has_value()) {
    principal = CheckPassword(credentials, second_factor);
  } else if (credentials.bearer_token.has_value()) {
    principal = CheckSession(*credentials.bearer_token);
  } else if (std::optional<Principal> service =
                 services_ != nullptr
                     ? services_->Find(credentials.certificate_subjects)
                     : std::nullopt;
             service.has_value()) {
    principal = *std::move(service);
  } else {
    return absl::UnauthenticatedError(
        "missing credentials: send 'authorization: Basic "
        "base64(user_name:password)' or 'authorization: Bearer <token>'");
  }
  if (principal.ok()) principal->client_address = credentials.client_address;
  return principal;
}

absl::Status Authenticator::CheckCode(const storage::UserRecord& user,
                                      absl::string_view code) const {
  if (user.mfa_confirmed()) {
    absl::Status mfa = mfa_.Verify(user, code);
    if (!absl::IsUnauthenticated(mfa)) return mfa;
  }
  return codes_.Verify(user, code);
}

absl::StatusOr<Principal> Authenticator::CheckSession(
    absl::string_view token) const {
  absl::StatusOr<SessionManager::Resolved> session = sessions_.Resolve(token);
  if (!session.ok()) return session.status();
  absl::StatusOr<storage::UserRecord> user =
      store_.GetUserById(session->user_id);
  if (absl::IsNotFound(user.status()) || (user.ok() && user->disabled())) {
    return absl::UnauthenticatedError("session is invalid or expired");
  }
  if (!user.ok()) return user.status();
  Principal principal{user->user_id(),
                      user->user_name(),
                      user->role() == storage::UserRecord::ADMIN,
                      /*password_verified=*/false,
                      session->token_hash,
                      /*client_address=*/"",
                      /*read_only=*/false};
  principal.credential_version = user->credential_version();
  return principal;
}

void Authenticator::RehashIfOutdated(const storage::UserRecord& user,
                                     absl::string_view password) const {
  if (!hasher_.NeedsRehash(user.password_hash())) return;
  absl::StatusOr<std::string> fresh = hasher_.Hash(password);
  if (!fresh.ok()) return;
  const std::string old_hash = user.password_hash();
  // Only if the hash is still the one just verified: a password set
  // meanwhile must not be overwritten. Failure is harmless: next login.
  store_
      .UpdateUser(user.user_id(),
                  [&](storage::UserRecord& record) {
                    if (record.password_hash() != old_hash) {
                      return absl::AbortedError("password changed meanwhile");
                    }
                    record.set_password_hash(*fresh);
                    return absl::OkStatus();
                  },
                  /*revoke_sessions=*/false, /*audit=*/{})
      .status()
      .IgnoreError();
}

absl::StatusOr<Principal> Authenticator::CheckPassword(
    const Credentials& credentials, SecondFactor second_factor) const {
  const Credentials::Password& password = *credentials.password;
  // A name that breaks the format cannot exist: no lookup, no Argon2. The
  // format is public, so failing fast reveals nothing.
  if (!ValidateUserName("user_name", password.user_name).ok()) {
    return InvalidCredentials();
  }
  // The record first: whether the name exists decides how the throttle
  // records it. Both paths read the same, so timing tells nothing.
  absl::StatusOr<storage::UserRecord> user =
      store_.GetUserByName(password.user_name);
  if (!user.ok() && !absl::IsNotFound(user.status())) return user.status();
  absl::StatusOr<LoginThrottle::Ticket> ticket = throttle_.Admit(
      password.user_name, user.ok(), credentials.client_address);
  if (!ticket.ok()) return ticket.status();

  const std::string& hash = user.ok() ? user->password_hash() : dummy_hash_;
  absl::StatusOr<bool> matches = hasher_.Verify(password.password, hash);
  if (!matches.ok()) {
    // A stored hash that does not parse is a corrupt record, not a wrong
    // password: surface it, without the record's contents.
    return absl::InternalError("stored password hash is unreadable");
  }
  if (!user.ok() || !*matches || user->disabled()) {
    // A failure that cannot be counted refuses the attempt (fail closed).
    if (absl::Status recorded = ticket->Failed(); !recorded.ok()) {
      return recorded;
    }
    return InvalidCredentials();
  }
  if (second_factor == SecondFactor::kRequiredWhereBound &&
      HasSecondFactor(*user)) {
    if (!credentials.verification_code.has_value()) {
      // Neither a success nor a failure: the ticket is dropped unreported,
      // so asking for the code cannot reset a count of wrong codes.
      return WithReason(
          absl::UnauthenticatedError(
              "a verification code is required: send 'x-verification-code' "
              "with a code from your MFA device, or one sent by "
              "SendVerificationCode"),
          kVerificationCodeRequired);
    }
    absl::Status code = CheckCode(*user, *credentials.verification_code);
    if (absl::IsUnauthenticated(code)) {
      // A wrong code counts toward the lockout, and must be counted.
      if (absl::Status recorded = ticket->Failed(); !recorded.ok()) {
        return recorded;
      }
      return absl::UnauthenticatedError(kInvalidCodeMessage);
    }
    if (!code.ok()) return code;
  }
  ticket->Succeeded();
  RehashIfOutdated(*user, password.password);
  Principal principal{user->user_id(),
                      user->user_name(),
                      user->role() == storage::UserRecord::ADMIN,
                      /*password_verified=*/true,
                      /*session_token_hash=*/"",
                      /*client_address=*/"",
                      /*read_only=*/false};
  // The version of the record whose hash was just verified: a password set
  // or disable since then makes every commit on this principal fail.
  principal.credential_version = user->credential_version();
  return principal;
}

}  // namespace identity::auth
