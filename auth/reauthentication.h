#ifndef IDENTITY_AUTH_REAUTHENTICATION_H_
#define IDENTITY_AUTH_REAUTHENTICATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "auth/principal.h"

namespace identity::auth {

// Changes that mint long-lived credentials or could take over an account
// (a key, one's own password, another user's password, email, mobile, MFA
// device or admin role, a new admin, deleting a user) need the password
// on the call itself, and with it the code where the caller has a channel
// bound (CallRunner demands the code on every password check). A session
// token alone is not enough: a stolen one must not be able to lock the
// owner out or create an admin. A service principal with role admin
// counts as having presented the password (its certificate is the
// stronger credential).
//
// Unauthenticated with reason PASSWORD_REQUIRED, naming `what`, unless
// `caller` presented the password.
absl::Status RequirePasswordOnCall(const Principal& caller,
                                   absl::string_view what);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_REAUTHENTICATION_H_
