#include "service/identityctl/command_line.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace identity::identityctl {

std::string NormalizeFlagName(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"_", "-"}});
}

std::optional<std::string> Invocation::value(absl::string_view flag) const {
  auto it = values_.find(NormalizeFlagName(flag));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Invocation::value_or(absl::string_view flag,
                                 std::string fallback) const {
  std::optional<std::string> given = value(flag);
  return given.has_value() ? *std::move(given) : std::move(fallback);
}

bool Invocation::has(absl::string_view flag) const {
  const std::string name = NormalizeFlagName(flag);
  return switches_.count(name) > 0 || values_.count(name) > 0;
}

absl::StatusOr<Invocation> ParseCommandLine(
    const std::vector<std::string>& argv, const std::vector<FlagSpec>& flags,
    int words) {
  std::vector<std::string> args;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
  bool only_args = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    absl::string_view token = argv[i];
    if (only_args || !absl::StartsWith(token, "-") || token == "-") {
      if (words > 0) {
        --words;
      } else {
        args.emplace_back(token);
      }
      continue;
    }
    if (token == "--") {
      only_args = true;
      continue;
    }
    absl::string_view body = token.substr(token.find_first_not_of('-'));
    std::optional<std::string> inline_value;
    if (const size_t eq = body.find('='); eq != absl::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const std::string name = NormalizeFlagName(body);
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& candidate : flags) {
      if (NormalizeFlagName(candidate.name) == name) spec = &candidate;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for this command"));
    }
    if (!spec->takes_value) {
      if (inline_value.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value"));
      }
      switches.insert(name);
      continue;
    }
    if (!inline_value.has_value()) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      inline_value = argv[++i];
    }
    if (!values.emplace(name, *std::move(inline_value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " given twice"));
    }
  }
  return Invocation(std::move(args), std::move(values), std::move(switches));
}

}  // namespace identity::identityctl
