#ifndef IDENTITY_SERVICE_IDENTITYCTL_PRIVATE_FILE_H_
#define IDENTITY_SERVICE_IDENTITYCTL_PRIVATE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace identity::identityctl {

// Whether `path` may be written: AlreadyExists if it exists and
// `overwrite` is false. Checked before asking the server for a secret, so
// no secret is minted that could not be saved.
absl::Status CheckWritable(const std::string& path, bool overwrite);

// Writes `contents` to `path` with mode 0600 (its directory is created
// with 0700 if missing): into a temporary file beside it, synced, then
// moved into place, so the file is either whole or absent. Without
// `overwrite`, an existing file is never replaced (AlreadyExists). If the
// last step fails the temporary file is kept, and the error names it: it
// may hold a secret the server will never show again.
absl::Status WritePrivateFile(const std::string& path,
                              absl::string_view contents, bool overwrite);

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_PRIVATE_FILE_H_
