#ifndef IDENTITY_SERVICE_IDENTITYCTL_TEXT_TABLE_H_
#define IDENTITY_SERVICE_IDENTITYCTL_TEXT_TABLE_H_

#include <string>
#include <vector>

namespace identity::identityctl {

// Columns padded to their widest cell, two spaces apart, a header row on
// top: what `list-keys` and `user list` print for people (--json is for
// programs).
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);
  void AddRow(std::vector<std::string> cells);
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_TEXT_TABLE_H_
