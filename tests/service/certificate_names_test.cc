#include "service/certificate_names.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

namespace identity::service {
namespace {

// A certificate with every kind of SAN, made by the openssl tool.
std::string CertificateWithEverySanKind(const testing::TempDir& dir) {
  const std::string cert = dir.Join("cert.pem");
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-days 1 -subj /CN=billing -keyout ",
      dir.Join("key.pem"), " -out ", cert,
      " -addext 'subjectAltName=DNS:billing.internal,URI:spiffe://mesh/admin,"
      "email:ops@example.com,IP:127.0.0.1,DNS:billing-2.internal' "
      "2>/dev/null");
  EXPECT_EQ(std::system(command.c_str()), 0);
  return testing::ReadFile(cert);
}

TEST(CertificateNames, OnlyTheCommonNameAndDnsNamesMatch) {
  testing::TempDir dir;
  const std::vector<std::string> names =
      CommonNameAndDnsNames(CertificateWithEverySanKind(dir));
  EXPECT_EQ(names, (std::vector<std::string>{"billing", "billing.internal",
                                             "billing-2.internal"}));
}

TEST(CertificateNames, GarbageGivesNoName) {
  EXPECT_TRUE(CommonNameAndDnsNames("").empty());
  EXPECT_TRUE(CommonNameAndDnsNames("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                    "-----END CERTIFICATE-----\n")
                  .empty());
}

}  // namespace
}  // namespace identity::service
