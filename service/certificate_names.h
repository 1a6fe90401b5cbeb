#ifndef IDENTITY_SERVICE_CERTIFICATE_NAMES_H_
#define IDENTITY_SERVICE_CERTIFICATE_NAMES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

struct x509_st;  // OpenSSL's X509

namespace identity::service {

// The names a service principal may be matched by, from a client
// certificate (PEM) that TLS already verified: its subject common name,
// then its DNS subject alternative names, in certificate order. URI, email
// and IP SANs are left out: gRPC's "x509_subject_alternative_name" lists
// them all alike, so a certificate for "spiffe://x/admin" or an email SAN
// could otherwise match a principal named by that text. Empty when the PEM
// does not parse.
std::vector<std::string> CommonNameAndDnsNames(absl::string_view pem);
// The same names from a parsed certificate (the TLS handshake's).
std::vector<std::string> CommonNameAndDnsNames(const x509_st* cert);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_CERTIFICATE_NAMES_H_
