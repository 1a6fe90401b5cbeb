#include "service/credentials_parser.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/crypto.h"

namespace identity::service {
namespace {

// Base64 of a 64-character name, ':' and a 256-character (up to 1 KiB of
// UTF-8) password fits well within this.
constexpr size_t kMaxAuthorizationLength = 2048;
constexpr size_t kMaxBearerTokenLength = 512;

absl::Status Malformed(absl::string_view what) {
  return absl::UnauthenticatedError(absl::StrCat("malformed ", what));
}

bool IsBase64Char(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' ||
         c == '/' || c == '=';
}

absl::Status ParseAuthorization(absl::string_view value,
                                auth::Credentials& out) {
  if (value.size() > kMaxAuthorizationLength) {
    return Malformed("authorization header: too long");
  }
  const size_t space = value.find(' ');
  if (space == absl::string_view::npos) {
    return Malformed(
        "authorization header: expected 'Basic ...' or "
        "'Bearer ...'");
  }
  const absl::string_view scheme = value.substr(0, space);
  const absl::string_view param =
      absl::StripAsciiWhitespace(value.substr(space + 1));
  if (absl::EqualsIgnoreCase(scheme, "Basic")) {
    if (param.empty() || param.size() % 4 != 0 ||
        !std::all_of(param.begin(), param.end(), IsBase64Char)) {
      return Malformed("Basic credentials: not base64");
    }
    std::string decoded;
    if (!absl::Base64Unescape(param, &decoded)) {
      return Malformed("Basic credentials: not base64");
    }
    const size_t colon = decoded.find(':');
    if (colon == std::string::npos) {
      crypto::Cleanse(decoded);
      return Malformed("Basic credentials: expected user_name:password");
    }
    out.password.emplace();
    out.password->user_name = decoded.substr(0, colon);
    out.password->password = decoded.substr(colon + 1);
    crypto::Cleanse(decoded);
    return absl::OkStatus();
  }
  if (absl::EqualsIgnoreCase(scheme, "Bearer")) {
    if (param.empty() || param.size() > kMaxBearerTokenLength ||
        !std::all_of(param.begin(), param.end(), [](char c) {
          return absl::ascii_isgraph(static_cast<unsigned char>(c));
        })) {
      return Malformed("Bearer token");
    }
    out.bearer_token = std::string(param);
    return absl::OkStatus();
  }
  return Malformed("authorization header: unsupported scheme");
}

absl::Status ParseVerificationCode(absl::string_view value,
                                   auth::Credentials& out) {
  value = absl::StripAsciiWhitespace(value);
  if (value.size() < 4 || value.size() > 10 ||
      !std::all_of(value.begin(), value.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return Malformed("x-verification-code: expected 4 to 10 digits");
  }
  out.verification_code = std::string(value);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<auth::Credentials> ParseCredentialHeaders(
    const absl::string_view* authorization,
    const absl::string_view* verification_code) {
  auth::Credentials credentials;
  if (authorization != nullptr) {
    if (absl::Status s = ParseAuthorization(*authorization, credentials);
        !s.ok()) {
      return s;
    }
  }
  if (verification_code != nullptr) {
    if (absl::Status s = ParseVerificationCode(*verification_code, credentials);
        !s.ok()) {
      return s;
    }
  }
  return credentials;
}

absl::StatusOr<auth::Credentials> ParseCredentials(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  auto single = [&metadata](absl::string_view key,
                            absl::string_view& value) -> absl::StatusOr<bool> {
    auto [first, last] =
        metadata.equal_range(grpc::string_ref(key.data(), key.size()));
    if (first == last) return false;
    if (std::next(first) != last) {
      return absl::UnauthenticatedError(
          absl::StrCat("more than one ", key, " header"));
    }
    value = absl::string_view(first->second.data(), first->second.size());
    return true;
  };
  absl::string_view authorization, code;
  absl::StatusOr<bool> has_authorization =
      single(kAuthorizationHeader, authorization);
  if (!has_authorization.ok()) return has_authorization.status();
  absl::StatusOr<bool> has_code = single(kVerificationCodeHeader, code);
  if (!has_code.ok()) return has_code.status();
  return ParseCredentialHeaders(*has_authorization ? &authorization : nullptr,
                                *has_code ? &code : nullptr);
}

}  // namespace identity::service
