#ifndef IDENTITY_SERVICE_IDENTITYCTL_COMMAND_LINE_H_
#define IDENTITY_SERVICE_IDENTITYCTL_COMMAND_LINE_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace identity::identityctl {

// A flag a command accepts: `--name=value`, `--name value`, or (a switch)
// `--name`. Dashes and underscores in names are the same character, so
// --password-file and --password_file both work.
struct FlagSpec {
  std::string name;
  bool takes_value = true;
  std::string help;
};

// What one run asked for, after parsing.
class Invocation {
 public:
  Invocation(std::vector<std::string> args,
             std::map<std::string, std::string> values,
             std::set<std::string> switches)
      : args_(std::move(args)),
        values_(std::move(values)),
        switches_(std::move(switches)) {}

  // Positional arguments after the command's name.
  const std::vector<std::string>& args() const { return args_; }
  std::optional<std::string> value(absl::string_view flag) const;
  std::string value_or(absl::string_view flag, std::string fallback) const;
  bool has(absl::string_view flag) const;

 private:
  std::vector<std::string> args_;
  std::map<std::string, std::string> values_;
  std::set<std::string> switches_;
};

// "--password_file" and "--password-file" -> "password-file".
std::string NormalizeFlagName(absl::string_view name);

// Parses `argv` (no program name) against `flags`; the first `words`
// non-flag arguments are the command's name and are dropped. An unknown
// flag, a missing value or a value given twice is InvalidArgument naming it.
absl::StatusOr<Invocation> ParseCommandLine(
    const std::vector<std::string>& argv, const std::vector<FlagSpec>& flags,
    int words);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_COMMAND_LINE_H_
