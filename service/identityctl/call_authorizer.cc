#include "service/identityctl/call_authorizer.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/identityctl/password_input.h"

namespace identity::identityctl {

CallAuthorizer::CallAuthorizer(AuthorizerOptions options)
    : options_(std::move(options)) {
  absl::StatusOr<SavedSession> saved = LoadSession(options_.session_file);
  // A session is used only for the server and user it was made for, and
  // only while it lasts; otherwise calls fall back to the password.
  if (saved.ok() && saved->server == options_.server &&
      (options_.user_name.empty() || options_.user_name == saved->user_name) &&
      saved->expire_time > absl::Now()) {
    session_ = *std::move(saved);
  }
}

CallAuthorizer::~CallAuthorizer() {
  if (password_.has_value()) WipeSecret(*password_);
  if (session_.has_value()) WipeSecret(session_->token);
  WipeSecret(options_.verification_code);
}

void CallAuthorizer::set_verification_code(std::string code) {
  WipeSecret(options_.verification_code);
  options_.verification_code = std::move(code);
}

std::string CallAuthorizer::user_name() const {
  if (!options_.user_name.empty()) return options_.user_name;
  return session_.has_value() ? session_->user_name : "";
}

absl::Status CallAuthorizer::AddPassword(grpc::ClientContext& context,
                                         const std::string& user_name) {
  if (!password_.has_value()) {
    absl::StatusOr<std::string> password = ReadPassword(
        options_.password_file, absl::StrCat("Password for ", user_name, ": "));
    if (!password.ok()) return password.status();
    password_ = *std::move(password);
  }
  std::string pair = absl::StrCat(user_name, ":", *password_);
  std::string header = absl::StrCat("Basic ", absl::Base64Escape(pair));
  context.AddMetadata("authorization", header);
  WipeSecret(pair);
  WipeSecret(header);
  return absl::OkStatus();
}

absl::Status CallAuthorizer::Authorize(grpc::ClientContext& context,
                                       Proof proof) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  if (!options_.verification_code.empty()) {
    context.AddMetadata("x-verification-code", options_.verification_code);
  }
  if (proof == Proof::kSessionOrPassword && session_.has_value()) {
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", session_->token));
    return absl::OkStatus();
  }
  const std::string user = user_name();
  if (!user.empty()) return AddPassword(context, user);
  if (options_.has_client_certificate) return absl::OkStatus();
  return absl::UnauthenticatedError(
      proof == Proof::kPassword
          ? "this command needs your password: pass --user NAME (with "
            "--password-file FILE, or type it when asked)"
          : "not signed in: run 'identityctl login --user NAME', or pass "
            "--user NAME");
}

}  // namespace identity::identityctl
