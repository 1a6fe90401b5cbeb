#ifndef IDENTITY_TESTS_TESTING_STORE_RECORDS_H_
#define IDENTITY_TESTS_TESTING_STORE_RECORDS_H_

#include <string>

#include "storage/records.pb.h"

namespace identity::testing {

// The smallest records the store tests need: ids, a name, a role, a status.
inline storage::UserRecord User(
    const std::string& id, const std::string& name,
    storage::UserRecord::Role role = storage::UserRecord::USER) {
  storage::UserRecord user;
  user.set_user_id(id);
  user.set_user_name(name);
  user.set_role(role);
  return user;
}

inline storage::AccessKeyRecord Key(const std::string& id,
                                    const std::string& user_id) {
  storage::AccessKeyRecord key;
  key.set_access_key_id(id);
  key.set_user_id(user_id);
  key.set_status(storage::AccessKeyRecord::ACTIVE);
  return key;
}

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_STORE_RECORDS_H_
