#ifndef IDENTITY_AUTH_NOTIFIER_H_
#define IDENTITY_AUTH_NOTIFIER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace identity::auth {

// One message to a user's bound email address or mobile number.
struct Notification {
  std::string channel;  // "EMAIL" or "SMS"
  // Where to deliver; only the notifier sees it in full.
  std::string destination;
  // For anything a person may read besides the recipient, e.g. "o***@x.com".
  std::string masked_destination;
  std::string user_name;
  // The text to deliver. Holds a one-time code: a secret.
  std::string message;
};

// Delivers verification codes. Implementations: FileOutboxNotifier (for
// development) and CommandNotifier (an operator's program: sendmail, an SMS
// gateway script). Thread-safe; may block, so call from the worker pool.
class Notifier {
 public:
  virtual ~Notifier() = default;
  // Unavailable when the message could not be handed over.
  virtual absl::Status Send(const Notification& notification) = 0;
};

// "o***@example.com": the first character of the local part and the domain.
std::string MaskEmail(absl::string_view email);
// "+86*******5678": the leading '+' and the last four digits.
std::string MaskMobile(absl::string_view mobile);

}  // namespace identity::auth

#endif  // IDENTITY_AUTH_NOTIFIER_H_
