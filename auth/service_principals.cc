#include "auth/service_principals.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace identity::auth {

absl::StatusOr<ServicePrincipals> ServicePrincipals::Parse(
    absl::string_view text) {
  ServicePrincipals principals;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat("service principals line ", number);
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected \"<subject> <role>\""));
    }
    Role role;
    if (fields[1] == "admin") {
      role = Role::kAdmin;
    } else if (fields[1] == "reader") {
      role = Role::kReader;
    } else if (fields[1] == "verifier") {
      role = Role::kVerifier;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": role must be admin, reader or verifier"));
    }
    if (!principals.roles_.emplace(std::string(fields[0]), role).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": subject ", fields[0], " listed twice"));
    }
  }
  return principals;
}

absl::StatusOr<ServicePrincipals> ServicePrincipals::ReadFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read service principals file ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str());
}

std::optional<Principal> ServicePrincipals::Find(
    const std::vector<std::string>& subjects) const {
  for (const std::string& subject : subjects) {
    auto it = roles_.find(subject);
    if (it == roles_.end()) continue;
    Principal principal;
    principal.user_id = absl::StrCat("svc:", subject);
    principal.user_name = principal.user_id;
    // A verifier acts on no user's behalf: it is not an admin, and may read
    // nothing but the verdicts VerifySignature gives.
    principal.is_admin = it->second != Role::kVerifier;
    principal.password_verified = it->second == Role::kAdmin;
    principal.read_only = it->second != Role::kAdmin;
    principal.verifier = it->second == Role::kVerifier;
    principal.is_service = true;
    return principal;
  }
  return std::nullopt;
}

}  // namespace identity::auth
