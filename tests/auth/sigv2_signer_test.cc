// V2 strings to sign against the examples of Amazon S3's "Signing and
// authenticating REST requests" (V2) guide, and the sub-resource rules of
// the two client families.
#include "auth/sigv2_signer.h"

#include "auth/signature_parser.h"
#include "gtest/gtest.h"

namespace identity::auth {
namespace {

constexpr char kDocsSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

ParsedSignature Parse(const SignedRequest& request) {
  ParseResult result = ParseSignature(request);
  EXPECT_TRUE(result.ok()) << result.error_message;
  return result.parsed;
}

TEST(V2Signer, AwsDocsObjectGet) {
  SignedRequest request{"GET", "/photos/puppy.jpg", "", {}, "", "johnsmith"};
  request.headers = {{"Host", "johnsmith.s3.amazonaws.com"},
                     {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"},
                     {"Authorization",
                      "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="}};
  ParsedSignature parsed = Parse(request);
  EXPECT_EQ(parsed.version, SignatureVersion::kAwsV2);
  EXPECT_EQ(parsed.access_key_id, "AKIAIOSFODNN7EXAMPLE");
  const std::string string_to_sign =
      V2StringToSign(request, parsed, V2Dialect::kBotocore);
  EXPECT_EQ(string_to_sign,
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n"
            "/johnsmith/photos/puppy.jpg");
  EXPECT_EQ(V2Signature(kDocsSecret, string_to_sign), parsed.signature);
}

TEST(V2Signer, AwsDocsSubResourceAcl) {
  SignedRequest request{"GET", "/", "acl", {}, "", "johnsmith"};
  request.headers = {{"Date", "Tue, 27 Mar 2007 19:44:46 +0000"},
                     {"Authorization", "AWS AKIAIOSFODNN7EXAMPLE:x"}};
  const std::string string_to_sign =
      V2StringToSign(request, Parse(request), V2Dialect::kBotocore);
  EXPECT_EQ(string_to_sign,
            "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl");
  EXPECT_EQ(V2Signature(kDocsSecret, string_to_sign),
            "c2WLPFtWHVgbEmeEG93a4cG37dM=");
}

TEST(V2Signer, AwsDocsQueryStringAuthentication) {
  SignedRequest request{"GET",
                        "/photos/puppy.jpg",
                        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires="
                        "1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
                        {},
                        "",
                        "johnsmith"};
  ParsedSignature parsed = Parse(request);
  EXPECT_EQ(parsed.form, SignatureForm::kQuery);
  EXPECT_EQ(parsed.expires, 1175139620);
  EXPECT_EQ(parsed.signature, "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
  for (V2Dialect dialect : {V2Dialect::kBotocore, V2Dialect::kObsSdkAws}) {
    EXPECT_EQ(
        V2Signature(kDocsSecret, V2StringToSign(request, parsed, dialect)),
        parsed.signature);
  }
}

TEST(V2Signer, ObsHeadersAndDialectsOfSubResources) {
  SignedRequest request{"PUT",
                        "/bucket/a%20b",
                        "uploadId=u%2B1&partNumber=2"
                        "&encryption&prefix=p",
                        {},
                        "",
                        ""};
  request.headers = {{"Content-Type", " text/plain "},
                     {"X-Obs-Meta-B", "2"},
                     {"x-obs-meta-a", " 1 "},
                     {"x-obs-date", "Tue, 01 Dec 2026 22:00:00 GMT"},
                     {"Date", "Tue, 01 Dec 2026 21:00:00 GMT"},
                     {"Authorization", "OBS AK:sig"}};
  ParsedSignature parsed = Parse(request);
  EXPECT_EQ(parsed.version, SignatureVersion::kObsV2);
  // x-obs-date replaces Date: the Date line is empty.
  EXPECT_EQ(V2StringToSign(request, parsed, V2Dialect::kObsSdkObs),
            "PUT\n\ntext/plain\n\n"
            "x-obs-date:Tue, 01 Dec 2026 22:00:00 GMT\n"
            "x-obs-meta-a:1\nx-obs-meta-b:2\n"
            "/bucket/a%20b?encryption&partNumber=2&uploadId=u+1");

  request.headers.back().value = "AWS AK:sig";
  parsed = Parse(request);
  // botocore signs neither encryption nor x-obs-* headers.
  EXPECT_EQ(V2StringToSign(request, parsed, V2Dialect::kBotocore),
            "PUT\n\ntext/plain\nTue, 01 Dec 2026 21:00:00 GMT\n"
            "/bucket/a%20b?partNumber=2&uploadId=u+1");
}

}  // namespace
}  // namespace identity::auth

namespace identity::auth {
namespace {

// What botocore 1.29 signs for V2 requests to an endpoint_url (seen in
// tests/e2e): the operation's literal query twice, and, path-style, "/b/"
// for a bucket-only "/b".
TEST(V2Signer, BotocoreAuthPathQuirks) {
  SignedRequest acl{"GET", "/b/k", "acl", {}, "", ""};
  acl.headers = {{"Date", "Tue, 01 Dec 2026 22:00:00 GMT"},
                 {"Authorization", "AWS AK:sig"}};
  ParseResult parsed = ParseSignature(acl);
  ASSERT_TRUE(parsed.ok());
  std::vector<std::string> strings =
      V2BotocoreAuthPathStrings(acl, parsed.parsed);
  ASSERT_EQ(strings.size(), 1u);
  EXPECT_EQ(strings[0], "GET\n\n\nTue, 01 Dec 2026 22:00:00 GMT\n/b/k?acl?acl");

  SignedRequest list = acl;
  list.path = "/b";
  list.query = "list-type=2&prefix=a";
  strings = V2BotocoreAuthPathStrings(list, parsed.parsed);
  ASSERT_EQ(strings.size(), 2u);
  EXPECT_EQ(strings[0], "GET\n\n\nTue, 01 Dec 2026 22:00:00 GMT\n/b/");
  EXPECT_EQ(strings[1],
            "GET\n\n\nTue, 01 Dec 2026 22:00:00 GMT\n/b?list-type=2");

  // Virtual-hosted (the bucket in the Host): the same literal query, after
  // the bucket alone for a bucket operation.
  list.bucket = "b";
  list.path = "/";
  strings = V2BotocoreAuthPathStrings(list, parsed.parsed);
  ASSERT_EQ(strings.size(), 1u);
  EXPECT_EQ(strings[0],
            "GET\n\n\nTue, 01 Dec 2026 22:00:00 GMT\n/b?list-type=2");
  SignedRequest hosted_acl = acl;
  hosted_acl.bucket = "b";
  hosted_acl.path = "/k";
  strings = V2BotocoreAuthPathStrings(hosted_acl, parsed.parsed);
  ASSERT_EQ(strings.size(), 1u);
  EXPECT_EQ(strings[0], "GET\n\n\nTue, 01 Dec 2026 22:00:00 GMT\n/b/k?acl?acl");
}

}  // namespace
}  // namespace identity::auth
