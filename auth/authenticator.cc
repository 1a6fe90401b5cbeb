#include "auth/authenticator.h"

#include "auth/crypto.h"
#include "auth/validation.h"

namespace identity::auth {
namespace {

absl::Status InvalidCredentials() {
  return absl::UnauthenticatedError(kInvalidCredentialsMessage);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::New(
    storage::Store& store, const PasswordHasher& hasher) {
  absl::StatusOr<std::string> dummy_password = crypto::RandomBytes(32);
  if (!dummy_password.ok()) return dummy_password.status();
  absl::StatusOr<std::string> dummy_hash = hasher.Hash(*dummy_password);
  crypto::Cleanse(*dummy_password);
  if (!dummy_hash.ok()) return dummy_hash.status();
  return std::unique_ptr<Authenticator>(
      new Authenticator(store, hasher, *std::move(dummy_hash)));
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    const Credentials& credentials) const {
  if (credentials.password.has_value()) {
    return CheckPassword(*credentials.password);
  }
  if (credentials.bearer_token.has_value()) {
    return absl::UnauthenticatedError("session tokens are not supported yet");
  }
  return absl::UnauthenticatedError(
      "missing credentials: send 'authorization: Basic "
      "base64(user_name:password)'");
}

absl::StatusOr<Principal> Authenticator::CheckPassword(
    const Credentials::Password& password) const {
  // A name that breaks the format cannot exist: no lookup, no Argon2. The
  // format is public, so failing fast reveals nothing.
  if (!ValidateUserName("user_name", password.user_name).ok()) {
    return InvalidCredentials();
  }
  absl::StatusOr<storage::UserRecord> user =
      store_.GetUserByName(password.user_name);
  if (!user.ok() && !absl::IsNotFound(user.status())) return user.status();

  const std::string& hash = user.ok() ? user->password_hash() : dummy_hash_;
  absl::StatusOr<bool> matches = hasher_.Verify(password.password, hash);
  if (!matches.ok()) {
    // A stored hash that does not parse is a corrupt record, not a wrong
    // password: surface it, without the record's contents.
    return absl::InternalError("stored password hash is unreadable");
  }
  if (!user.ok() || !*matches || user->disabled()) return InvalidCredentials();
  return Principal{user->user_id(), user->user_name(),
                   user->role() == storage::UserRecord::ADMIN};
}

}  // namespace identity::auth
