#ifndef IDENTITY_SERVICE_BREAK_GLASS_H_
#define IDENTITY_SERVICE_BREAK_GLASS_H_

#include <string>

#include "absl/status/statusor.h"

namespace identity::service {

// `identityd reset-admin`: for the operator on the host when the only admin
// is locked out or their password is lost. Opens the store directly (so
// identityd must be stopped: RocksDB allows one process), gives the admin
// `user_name` a new generated password, ends their sessions and lifts
// every lock on the name. Returns the password, which the caller shows
// once. Needs the KEK file, as identityd does, and nothing from the
// network: whoever can run it already owns the data and the key.
absl::StatusOr<std::string> ResetAdmin(const std::string& data_dir,
                                       const std::string& master_key_file,
                                       const std::string& user_name);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_BREAK_GLASS_H_
