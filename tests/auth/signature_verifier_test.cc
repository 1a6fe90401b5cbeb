// The verifier over a real store: who may call it, freshness of key and
// owner state, the payload and tampering refusals, and last-use recording.
#include "auth/signature_verifier.h"

#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/crypto.h"
#include "auth/last_use_recorder.h"
#include "auth/sigv4_signer.h"
#include "gtest/gtest.h"
#include "testing/auth_env.h"

namespace identity::auth {
namespace {

std::string AmzDate(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

// Signs `request` in place as an S3 SigV4 header request would be signed
// (the signer here is the one under test; tests/e2e signs with real SDKs).
void SignV4(SignedRequest& request, const CreatedAccessKey& key, absl::Time now,
            absl::string_view payload) {
  const std::string date = AmzDate(now);
  request.headers.push_back({"x-amz-date", date});
  request.headers.push_back({"x-amz-content-sha256", std::string(payload)});
  const std::vector<std::string> signed_headers = {
      "host", "x-amz-content-sha256", "x-amz-date"};
  const std::string canonical =
      SigV4CanonicalRequest(request, signed_headers, SignatureForm::kHeader,
                            SigV4PathRule::kAsSent, payload);
  const std::string string_to_sign =
      SigV4StringToSign(date, date.substr(0, 8), "eu-west-1", "s3", canonical);
  const std::string signature =
      SigV4Signature(SigV4SigningKey(key.secret_access_key, date.substr(0, 8),
                                     "eu-west-1", "s3"),
                     string_to_sign);
  request.headers.push_back(
      {"Authorization",
       absl::StrCat(
           "AWS4-HMAC-SHA256 Credential=", key.key.record.access_key_id(), "/",
           date.substr(0, 8), "/eu-west-1/s3/aws4_request, SignedHeaders=",
           absl::StrJoin(signed_headers, ";"), ", Signature=", signature)});
}

class SignatureVerifierTest : public ::testing::Test {
 protected:
  SignatureVerifierTest()
      : key_(env_.keys.CreateAccessKey(env_.alice, "", "gateway").value()),
        recorder_(*env_.store, env_.clock,
                  LastUseRecorderOptions{absl::Milliseconds(20),
                                         absl::Minutes(1), 1000}),
        // With the signing-key cache, as identityd runs it: every state
        // rule below must hold with it on.
        verifier_(*env_.store, *env_.sealer, env_.clock, &recorder_, {},
                  /*signing_key_cache_entries=*/16) {
    verifier_principal_.user_id = verifier_principal_.user_name = "svc:gw";
    verifier_principal_.read_only = true;
    verifier_principal_.verifier = true;
  }

  SignedRequest Signed(std::string payload = std::string(kUnsignedPayload)) {
    SignedRequest request;
    request.method = "PUT";
    request.path = "/bucket/a%20b/%E2%82%AC+~";
    request.query = "uploadId=1&partNumber=2";
    request.headers = {{"Host", "gw.example"}};
    SignV4(request, key_, env_.clock.Now(), payload);
    return request;
  }

  SignatureVerdict Verify(const SignedRequest& request) {
    absl::StatusOr<SignatureVerdict> verdict =
        verifier_.Verify(verifier_principal_, request);
    EXPECT_TRUE(verdict.ok()) << verdict.status();
    return verdict.value_or(SignatureVerdict{});
  }

  testing::AuthEnv env_;
  CreatedAccessKey key_;
  LastUseRecorder recorder_;
  SignatureVerifier verifier_;
  Principal verifier_principal_;
};

TEST_F(SignatureVerifierTest, ValidSignatureSaysWhoSigned) {
  SignatureVerdict verdict = Verify(Signed());
  ASSERT_TRUE(verdict.valid) << verdict.error_message << "\n"
                             << verdict.canonical_request;
  EXPECT_EQ(verdict.access_key_id, key_.key.record.access_key_id());
  EXPECT_EQ(verdict.user_name, "alice");
  EXPECT_EQ(verdict.user_id, env_.alice.user_id);
  EXPECT_EQ(verdict.version, SignatureVersion::kAwsSigV4);
  EXPECT_EQ(verdict.region, "eu-west-1");
  EXPECT_EQ(verdict.service, "s3");
  EXPECT_EQ(verdict.signed_payload, "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(verdict.string_to_sign.empty());
}

TEST_F(SignatureVerifierTest, OnlyAdminsAndVerifiersMayCall) {
  const SignedRequest request = Signed();
  EXPECT_TRUE(
      absl::IsPermissionDenied(verifier_.Verify(env_.alice, request).status()));
  Principal reader = verifier_principal_;
  reader.verifier = false;
  reader.is_admin = true;  // a "reader" service
  EXPECT_TRUE(
      absl::IsPermissionDenied(verifier_.Verify(reader, request).status()));
  absl::StatusOr<SignatureVerdict> by_admin =
      verifier_.Verify(env_.admin, request);
  ASSERT_TRUE(by_admin.ok());
  EXPECT_TRUE(by_admin->valid);
}

TEST_F(SignatureVerifierTest, KeyAndOwnerStateApplyAtOnce) {
  const std::string id = key_.key.record.access_key_id();
  ASSERT_TRUE(env_.keys
                  .UpdateAccessKey(env_.alice, id,
                                   storage::AccessKeyRecord::INACTIVE,
                                   std::nullopt)
                  .ok());
  EXPECT_EQ(Verify(Signed()).error_code, "InvalidAccessKeyId");
  ASSERT_TRUE(env_.keys
                  .UpdateAccessKey(env_.alice, id,
                                   storage::AccessKeyRecord::ACTIVE,
                                   std::nullopt)
                  .ok());
  EXPECT_TRUE(Verify(Signed()).valid);

  UserUpdate disable;
  disable.enabled = false;
  ASSERT_TRUE(env_.users.UpdateUser(env_.admin, "alice", disable).ok());
  EXPECT_EQ(Verify(Signed()).error_code, "InvalidAccessKeyId");
  UserUpdate enable;
  enable.enabled = true;
  ASSERT_TRUE(env_.users.UpdateUser(env_.admin, "alice", enable).ok());
  EXPECT_TRUE(Verify(Signed()).valid);

  ASSERT_TRUE(env_.keys.DeleteAccessKey(env_.alice, id).ok());
  SignatureVerdict deleted = Verify(Signed());
  EXPECT_EQ(deleted.error_code, "InvalidAccessKeyId");
  EXPECT_TRUE(deleted.user_name.empty());
}

TEST_F(SignatureVerifierTest, ExpiredKeyIsRefusedSayingSoOnlyToItsHolder) {
  RequestedExpiry one_hour;
  one_hour.after = absl::Hours(1);
  key_ = env_.keys.CreateAccessKey(env_.alice, "", "short", one_hour).value();
  env_.clock.Advance(absl::Hours(1) - absl::Seconds(1));
  EXPECT_TRUE(Verify(Signed()).valid);
  env_.clock.Advance(absl::Seconds(1));
  SignatureVerdict expired = Verify(Signed());
  EXPECT_FALSE(expired.valid);
  EXPECT_EQ(expired.error_code, "InvalidAccessKeyId");
  EXPECT_NE(expired.error_message.find("expired"), std::string::npos)
      << expired.error_message;
  EXPECT_TRUE(expired.user_name.empty());

  // Without the secret, an expired key is as unknown as a deleted one.
  CreatedAccessKey forged = key_;
  forged.secret_access_key[0] = forged.secret_access_key[0] == 'a' ? 'b' : 'a';
  SignedRequest request;
  request.method = "GET";
  request.path = "/";
  request.headers = {{"Host", "h"}};
  SignV4(request, forged, env_.clock.Now(), kUnsignedPayload);
  SignatureVerdict guessed = Verify(request);
  EXPECT_EQ(guessed.error_code, "InvalidAccessKeyId");
  EXPECT_EQ(guessed.error_message.find("expired"), std::string::npos);
}

TEST_F(SignatureVerifierTest, ExpiredKeyIsNeitherServedFromNorAddedToTheCache) {
  RequestedExpiry one_hour;
  one_hour.after = absl::Hours(1);
  key_ = env_.keys.CreateAccessKey(env_.alice, "", "short", one_hour).value();
  env_.clock.Advance(absl::Hours(2));
  const size_t before = verifier_.cached_signing_keys();
  EXPECT_EQ(Verify(Signed()).error_code, "InvalidAccessKeyId");
  EXPECT_EQ(verifier_.cached_signing_keys(), before);
}

TEST_F(SignatureVerifierTest, ScheduledDeactivationAppliesWhenDue) {
  const std::string id = key_.key.record.access_key_id();
  ASSERT_TRUE(env_.keys
                  .UpdateAccessKey(env_.alice, id, std::nullopt, std::nullopt,
                                   absl::Minutes(30))
                  .ok());
  EXPECT_TRUE(Verify(Signed()).valid);
  env_.clock.Advance(absl::Minutes(30));
  // No pass has run: the verifier reads the schedule itself.
  EXPECT_EQ(Verify(Signed()).error_code, "InvalidAccessKeyId");
}

TEST_F(SignatureVerifierTest, TamperingIsSignatureDoesNotMatch) {
  const SignedRequest good = Signed();
  std::vector<SignedRequest> tampered(5, good);
  tampered[0].path = "/bucket/a%20c/%E2%82%AC+~";
  tampered[1].method = "DELETE";
  tampered[2].query = "uploadId=1&partNumber=3";
  tampered[3].headers[0].value = "other.example";  // the signed Host
  tampered[4].headers.push_back({"x-amz-date", "20000101T000000Z"});
  for (const SignedRequest& request : tampered) {
    SignatureVerdict verdict = Verify(request);
    EXPECT_FALSE(verdict.valid);
    EXPECT_EQ(verdict.error_code, "SignatureDoesNotMatch");
    EXPECT_NE(verdict.canonical_request.find("\n/bucket/"), std::string::npos);
    EXPECT_EQ(verdict.string_to_sign.rfind("AWS4-HMAC-SHA256\n", 0), 0u);
    // Neither the secret nor the signature is echoed.
    EXPECT_EQ(verdict.canonical_request.find(key_.secret_access_key),
              std::string::npos);
  }
  // An unsigned header may be added.
  SignedRequest extra = good;
  extra.headers.push_back({"User-Agent", "x"});
  EXPECT_TRUE(Verify(extra).valid);
}

TEST_F(SignatureVerifierTest, WrongSecretAndUnknownKey) {
  CreatedAccessKey other = key_;
  other.secret_access_key[0] = other.secret_access_key[0] == 'a' ? 'b' : 'a';
  SignedRequest request;
  request.method = "GET";
  request.path = "/";
  request.headers = {{"Host", "h"}};
  SignV4(request, other, env_.clock.Now(), kUnsignedPayload);
  EXPECT_EQ(Verify(request).error_code, "SignatureDoesNotMatch");

  other.key.record.set_access_key_id("AKIAUNKNOWNUNKNOWN00");
  request.headers = {{"Host", "h"}};
  SignV4(request, other, env_.clock.Now(), kUnsignedPayload);
  EXPECT_EQ(Verify(request).error_code, "InvalidAccessKeyId");
}

TEST_F(SignatureVerifierTest, PayloadRules) {
  const std::string body_hash =
      absl::BytesToHexString(crypto::Sha256("the body"));
  SignedRequest request = Signed(body_hash);
  request.payload_sha256 = body_hash;
  SignatureVerdict verdict = Verify(request);
  EXPECT_TRUE(verdict.valid);
  EXPECT_EQ(verdict.signed_payload, body_hash);

  request.payload_sha256 = absl::BytesToHexString(crypto::Sha256("other"));
  EXPECT_EQ(Verify(request).error_code, "XAmzContentSHA256Mismatch");

  request.payload_sha256 = "not hex";
  EXPECT_TRUE(absl::IsInvalidArgument(
      verifier_.Verify(verifier_principal_, request).status()));

  // Without x-amz-content-sha256 the gateway must give the body's hash.
  SignedRequest bare = Signed(body_hash);
  bare.headers.erase(bare.headers.begin() + 2);  // x-amz-content-sha256
  EXPECT_TRUE(absl::IsInvalidArgument(
      verifier_.Verify(verifier_principal_, bare).status()));
  bare.payload_sha256 = body_hash;
  EXPECT_FALSE(Verify(bare).valid);  // it was signed into the header list

  SignedRequest garbage = Signed("abc");
  EXPECT_EQ(Verify(garbage).error_code, "InvalidArgument");
}

TEST_F(SignatureVerifierTest, SkewIsRefused) {
  SignedRequest request = Signed();
  env_.clock.Advance(absl::Minutes(16));
  EXPECT_EQ(Verify(request).error_code, "RequestTimeTooSkewed");
}

TEST_F(SignatureVerifierTest, RecordsLastUseOffThePath) {
  const std::string id = key_.key.record.access_key_id();
  ASSERT_TRUE(Verify(Signed()).valid);
  // Written by the recorder's thread within a few flushes (bounded wait).
  storage::AccessKeyRecord record;
  for (int i = 0; i < 250; ++i) {
    record = env_.store->GetAccessKey(id).value();
    if (record.last_used_time_micros() != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(record.last_used_time_micros(),
            absl::ToUnixMicros(env_.clock.Now()));
  EXPECT_EQ(record.last_used_service(), "s3");
  EXPECT_EQ(record.last_used_region(), "eu-west-1");
  EXPECT_EQ(recorder_.writes(), 1u);
}

TEST(LastUseRecorder, CoalescesToOneWritePerKeyPerMinute) {
  testing::AuthEnv env;
  CreatedAccessKey key = env.keys.CreateAccessKey(env.alice, "", "k").value();
  const std::string id = key.key.record.access_key_id();
  // A flush interval longer than the test: only explicit Flush() writes.
  LastUseRecorder recorder(*env.store, env.clock,
                           {absl::Hours(1), absl::Minutes(1), 10});
  for (int i = 0; i < 100; ++i) recorder.Record(id, "s3", "r1");
  recorder.Flush();
  EXPECT_EQ(recorder.writes(), 1u);

  env.clock.Advance(absl::Seconds(30));
  recorder.Record(id, "sts", "r2");
  recorder.Flush();
  EXPECT_EQ(recorder.writes(), 1u);  // within the minute: held back
  EXPECT_EQ(env.store->GetAccessKey(id)->last_used_service(), "s3");

  env.clock.Advance(absl::Seconds(31));
  recorder.Flush();
  EXPECT_EQ(recorder.writes(), 2u);
  storage::AccessKeyRecord record = env.store->GetAccessKey(id).value();
  EXPECT_EQ(record.last_used_service(), "sts");
  EXPECT_EQ(record.last_used_region(), "r2");
  EXPECT_EQ(record.last_used_time_micros(),
            absl::ToUnixMicros(env.clock.Now() - absl::Seconds(31)));

  // Bounded: past max_pending, uses of further keys are dropped.
  for (int i = 0; i < 20; ++i) recorder.Record(absl::StrCat("K", i), "", "");
  EXPECT_EQ(recorder.dropped(), 10u);
  recorder.Flush();  // unknown keys: nothing to write, no crash
  EXPECT_EQ(recorder.writes(), 2u);
}

TEST(LastUseRecorder, StoppingWritesWhatTheMinuteHeldBack) {
  testing::AuthEnv env;
  CreatedAccessKey key = env.keys.CreateAccessKey(env.alice, "", "k").value();
  const std::string id = key.key.record.access_key_id();
  {
    LastUseRecorder recorder(*env.store, env.clock,
                             {absl::Hours(1), absl::Minutes(1), 10});
    recorder.Record(id, "s3", "r1");
    recorder.Flush();
    env.clock.Advance(absl::Seconds(10));
    recorder.Record(id, "sts", "r2");
    recorder.Flush();  // within the minute: held back
    EXPECT_EQ(env.store->GetAccessKey(id)->last_used_service(), "s3");
  }  // identityd stopping
  storage::AccessKeyRecord record = env.store->GetAccessKey(id).value();
  EXPECT_EQ(record.last_used_service(), "sts");
  EXPECT_EQ(record.last_used_time_micros(),
            absl::ToUnixMicros(env.clock.Now()));
}

}  // namespace
}  // namespace identity::auth
