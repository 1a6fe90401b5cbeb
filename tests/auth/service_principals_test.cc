#include "auth/service_principals.h"

#include "gtest/gtest.h"

namespace identity::auth {
namespace {

TEST(ServicePrincipals, MapsSubjectsToRoles) {
  absl::StatusOr<ServicePrincipals> principals = ServicePrincipals::Parse(
      "# services\n"
      "billing  admin   # writes keys\n"
      "\n"
      "exporter\treader\n");
  ASSERT_TRUE(principals.ok()) << principals.status();
  EXPECT_EQ(principals->size(), 2u);

  std::optional<Principal> billing = principals->Find({"billing"});
  ASSERT_TRUE(billing.has_value());
  EXPECT_EQ(billing->user_name, "svc:billing");
  EXPECT_TRUE(billing->is_admin);
  EXPECT_TRUE(billing->password_verified);
  EXPECT_FALSE(billing->read_only);

  // The first subject listed wins: CN, then SANs.
  std::optional<Principal> exporter =
      principals->Find({"unknown-cn", "exporter"});
  ASSERT_TRUE(exporter.has_value());
  EXPECT_TRUE(exporter->read_only);
  EXPECT_FALSE(exporter->password_verified);

  EXPECT_FALSE(principals->Find({}).has_value());
  EXPECT_FALSE(principals->Find({"Billing"}).has_value());  // exact match
}

TEST(ServicePrincipals, RefusesMalformedFiles) {
  for (const char* text :
       {"billing\n", "billing admin extra\n", "billing owner\n",
        "billing admin\nbilling reader\n"}) {
    EXPECT_TRUE(
        absl::IsInvalidArgument(ServicePrincipals::Parse(text).status()))
        << text;
  }
  EXPECT_TRUE(
      absl::IsNotFound(ServicePrincipals::ReadFile("/nonexistent").status()));
}

}  // namespace
}  // namespace identity::auth

namespace identity::auth {
namespace {

TEST(ServicePrincipals, VerifierIsNeitherAdminNorReader) {
  absl::StatusOr<ServicePrincipals> principals =
      ServicePrincipals::Parse("gateway verifier\n");
  ASSERT_TRUE(principals.ok()) << principals.status();
  std::optional<Principal> gateway = principals->Find({"gateway"});
  ASSERT_TRUE(gateway.has_value());
  EXPECT_EQ(gateway->user_name, "svc:gateway");
  EXPECT_TRUE(gateway->verifier);
  EXPECT_FALSE(gateway->is_admin);
  EXPECT_TRUE(gateway->read_only);
  EXPECT_FALSE(gateway->password_verified);
}

}  // namespace
}  // namespace identity::auth
