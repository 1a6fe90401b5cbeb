#ifndef IDENTITY_SERVICE_PROTO_MAPPING_H_
#define IDENTITY_SERVICE_PROTO_MAPPING_H_

#include "auth/access_key_manager.h"
#include "identity/v1/access_key_service.pb.h"
#include "identity/v1/user_service.pb.h"
#include "storage/records.pb.h"

// Stored records to the public API. Nothing secret crosses: no password hash,
// no sealed secret.
namespace identity::service {

void ToApi(const auth::OwnedAccessKey& key, v1::AccessKey* out);
void ToApi(const storage::UserRecord& user, v1::User* out);

// Unknown values map to *_UNSPECIFIED, which the auth layer refuses.
storage::UserRecord::Role FromApi(v1::User::Role role);
storage::AccessKeyRecord::Status FromApi(v1::AccessKey::Status status);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_PROTO_MAPPING_H_
