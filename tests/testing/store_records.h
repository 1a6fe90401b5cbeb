#ifndef IDENTITY_TESTS_TESTING_STORE_RECORDS_H_
#define IDENTITY_TESTS_TESTING_STORE_RECORDS_H_

#include <cstdint>
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

// An audit event at `time_micros` about `user_name` by `actor_user_name`
// (either may be empty), as the store's callers hand them in.
inline storage::AuditEventRecord AuditEvent(
    int64_t time_micros, const std::string& user_name,
    const std::string& actor_user_name,
    storage::AuditEventRecord::Type type =
        storage::AuditEventRecord::USER_UPDATED) {
  storage::AuditEventRecord event;
  event.set_type(type);
  event.set_time_micros(time_micros);
  event.set_user_name(user_name);
  event.set_actor_user_name(actor_user_name);
  return event;
}

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_STORE_RECORDS_H_
