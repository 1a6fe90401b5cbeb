#ifndef IDENTITY_SERVICE_IDENTITYCTL_EXIT_CODES_H_
#define IDENTITY_SERVICE_IDENTITYCTL_EXIT_CODES_H_

namespace identity::identityctl {

// What identityctl exits with, so scripts can tell failures apart. Stable:
// documented in `identityctl help` and the README.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,           // anything not below (an internal error)
  kExitUsage = 2,             // bad command line, unreadable local file
  kExitUnreachable = 3,       // no answer from identityd (or deadline)
  kExitUnauthenticated = 4,   // not signed in, wrong password or token
  kExitPermissionDenied = 5,  // signed in, but not allowed
  kExitNotFound = 6,          // no such user or key
  kExitAlreadyExists = 7,     // user exists, or the output file does
  kExitKeyLimit = 8,          // ACCESS_KEY_LIMIT_EXCEEDED
  kExitCodeRequired = 9,      // VERIFICATION_CODE_REQUIRED
  kExitLocked = 10,           // TOO_MANY_ATTEMPTS: locked or rate-limited
  kExitRejected = 11,         // the server refused the input or the state
  kExitBusy = 12,             // RESOURCE_EXHAUSTED: retry later
};

}  // namespace identity::identityctl

#endif  // IDENTITY_SERVICE_IDENTITYCTL_EXIT_CODES_H_
