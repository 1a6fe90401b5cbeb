// identity_bench: the load generator and scenarios of tests/bench/run_bench.sh.
// Prints one JSON object a line per measured scenario.
//
//   identity_bench --scenario=empty --target=127.0.0.1:PORT
//   identity_bench --scenario=health|list|create|list_under_create
//                  --target=127.0.0.1:PORT --admin_password_file=F
//   identity_bench --scenario=argon2
//   identity_bench --scenario=verify_sigv4|verify_obs
//                  --target=127.0.0.1:PORT --admin_password_file=F
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "auth/password_hasher.h"
#include "auth/sigv2_signer.h"
#include "auth/sigv4_signer.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "identity/v1/access_key_service.grpc.pb.h"
#include "identity/v1/session_service.grpc.pb.h"
#include "identity/v1/signature_service.grpc.pb.h"
#include "identity/v1/user_service.grpc.pb.h"
#include "load_generator.h"
#include "testing/files.h"

ABSL_FLAG(std::string, scenario, "list",
          "empty, health, list, create, list_under_create, argon2, "
          "verify_sigv4, verify_obs, empty_verify_sigv4, empty_verify_obs "
          "(the same requests against the bench server's empty handler), "
          "or token "
          "(prints a session token for another load generator)");
ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address");
ABSL_FLAG(std::string, admin_password_file, "", "for seeding users");
ABSL_FLAG(int, concurrency, 32, "calls in flight");
ABSL_FLAG(int, create_concurrency, 8,
          "CreateAccessKey calls in flight (create, list_under_create)");
ABSL_FLAG(int, users, 32, "users to seed for each scenario");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "warm-up");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured time");
ABSL_FLAG(int, argon2_iterations, 40, "verifications timed (argon2)");
ABSL_FLAG(int, bulk_users, 0,
          "list: sign in as --users users spread over the N users of "
          "identity_bulk_load (2 keys each) instead of seeding new ones");

namespace identity::bench {
namespace {

constexpr char kUserPassword[] = "bench-password-1";
constexpr char kBulkPassword[] = "bulk-password-1";  // identity_bulk_load's

std::string Basic(const std::string& name, const std::string& password) {
  return "Basic " + absl::Base64Escape(absl::StrCat(name, ":", password));
}

LoadOptions Options(int concurrency) {
  LoadOptions options;
  options.concurrency = concurrency;
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.duration = absl::GetFlag(FLAGS_duration);
  return options;
}

// Users "<prefix>-<i>" with the bench password (created if missing), and a
// session token for each.
std::string Login(v1::SessionService::Stub& sessions, const std::string& name,
                  const std::string& password) {
  grpc::ClientContext login;
  login.AddMetadata("authorization", Basic(name, password));
  v1::LoginResponse session;
  grpc::Status status = sessions.Login(&login, {}, &session);
  if (!status.ok()) {
    std::cerr << "login " << name << ": " << status.error_message() << "\n";
    std::exit(1);
  }
  return session.session_token();
}

std::vector<std::string> SeedUsers(v1::UserService::Stub& users,
                                   v1::SessionService::Stub& sessions,
                                   const std::string& prefix, int count,
                                   const std::string& admin_password) {
  std::vector<std::string> tokens;
  for (int i = 0; i < count; ++i) {
    const std::string name = absl::StrCat(prefix, "-", i);
    grpc::ClientContext create;
    create.AddMetadata("authorization", Basic("admin", admin_password));
    v1::CreateUserRequest request;
    request.set_user_name(name);
    request.set_password(kUserPassword);
    v1::CreateUserResponse created;
    grpc::Status status = users.CreateUser(&create, request, &created);
    if (!status.ok() &&
        status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      std::cerr << "seeding " << name << ": " << status.error_message() << "\n";
      std::exit(1);
    }
    tokens.push_back(Login(sessions, name, kUserPassword));
  }
  return tokens;
}

// Sessions of `count` users spread evenly over a bulk-loaded store.
std::vector<std::string> BulkUsers(v1::SessionService::Stub& sessions,
                                   int count, int bulk_users) {
  std::vector<std::string> tokens;
  for (int i = 0; i < count; ++i) {
    const int index =
        static_cast<int>(static_cast<int64_t>(bulk_users) * i / count) +
        (bulk_users / count) / 2;
    tokens.push_back(
        Login(sessions, absl::StrFormat("bulk-%07d", index), kBulkPassword));
  }
  return tokens;
}

// One call's state, alive until its callback has run.
template <typename Request, typename Response>
struct Call {
  CallInFlight in_flight;  // first: destroyed after the context
  grpc::ClientContext context;
  Request request;
  Response response;
};

StartCall ListKeys(v1::AccessKeyService::Stub& keys,
                   const std::vector<std::string>& tokens) {
  return [&keys, &tokens](int slot, std::function<void(grpc::Status)> done) {
    auto call = std::make_shared<
        Call<v1::ListAccessKeysRequest, v1::ListAccessKeysResponse>>();
    call->context.AddMetadata("authorization",
                              "Bearer " + tokens[slot % tokens.size()]);
    keys.async()->ListAccessKeys(
        &call->context, &call->request, &call->response,
        [call, done = std::move(done)](grpc::Status status) { done(status); });
  };
}

StartCall CreateKeys(v1::AccessKeyService::Stub& keys,
                     const std::vector<std::string>& names) {
  return [&keys, &names](int slot, std::function<void(grpc::Status)> done) {
    auto call = std::make_shared<
        Call<v1::CreateAccessKeyRequest, v1::CreateAccessKeyResponse>>();
    call->context.AddMetadata("authorization",
                              Basic(names[slot % names.size()], kUserPassword));
    keys.async()->CreateAccessKey(
        &call->context, &call->request, &call->response,
        [call, done = std::move(done)](grpc::Status status) { done(status); });
  };
}

// A valid request for VerifySignature, signed now with a fresh key of a
// seeded user: SigV4 (S3, header form) or OBS V2 (header form), as a
// gateway would forward a PUT of a small object.
v1::VerifySignatureRequest SignedRequest(bool sigv4, const std::string& key_id,
                                         const std::string& secret) {
  const absl::Time now = absl::Now();
  auth::SignedRequest request;
  request.method = "PUT";
  request.path =
      sigv4 ? "/bench-bucket/photos/2026/a%20b.jpg" : "/photos/2026/a%20b.jpg";
  request.bucket = sigv4 ? "" : "bench-bucket";
  request.payload_sha256 = std::string(64, 'a');
  request.headers = {{"Host", "gateway.example"},
                     {"Content-Type", "image/jpeg"},
                     {"Content-Length", "1024"},
                     {"User-Agent", "bench"}};
  std::string authorization;
  if (sigv4) {
    const std::string date =
        absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone());
    request.headers.push_back({"x-amz-date", date});
    request.headers.push_back({"x-amz-content-sha256", request.payload_sha256});
    const std::vector<std::string> signed_headers = {
        "content-length", "content-type", "host", "x-amz-content-sha256",
        "x-amz-date"};
    const std::string string_to_sign = auth::SigV4StringToSign(
        date, date.substr(0, 8), "us-east-1", "s3",
        auth::SigV4CanonicalRequest(
            request, signed_headers, auth::SignatureForm::kHeader,
            auth::SigV4PathRule::kAsSent, request.payload_sha256));
    authorization = absl::StrCat(
        "AWS4-HMAC-SHA256 Credential=", key_id, "/", date.substr(0, 8),
        "/us-east-1/s3/aws4_request, SignedHeaders=content-length;"
        "content-type;host;x-amz-content-sha256;x-amz-date, Signature=",
        auth::SigV4Signature(
            auth::SigV4SigningKey(secret, date.substr(0, 8), "us-east-1", "s3"),
            string_to_sign));
  } else {
    request.headers.push_back(
        {"Date", absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", now,
                                  absl::UTCTimeZone())});
    request.headers.push_back({"x-obs-meta-owner", "bench"});
    auth::ParsedSignature parsed;
    parsed.version = auth::SignatureVersion::kObsV2;
    authorization = absl::StrCat(
        "OBS ", key_id, ":",
        auth::V2Signature(secret,
                          auth::V2StringToSign(request, parsed,
                                               auth::V2Dialect::kObsSdkObs)));
  }
  request.headers.push_back({"Authorization", authorization});
  v1::VerifySignatureRequest out;
  v1::SignedHttpRequest* http = out.mutable_request();
  http->set_method(request.method);
  http->set_path(request.path);
  http->set_bucket(request.bucket);
  http->set_payload_sha256(request.payload_sha256);
  for (const auto& header : request.headers) {
    v1::HttpHeader* added = http->add_headers();
    added->set_name(header.name);
    added->set_value(header.value);
  }
  return out;
}

// Replays `request` (a verifier's call) from every slot until the run ends;
// prints the report named `name`.
void Verify(const std::shared_ptr<grpc::Channel>& channel,
            const std::string& name, const v1::VerifySignatureRequest& request,
            const std::string& token, int concurrency) {
  auto signatures = v1::SignatureService::NewStub(channel);
  StartCall verify = [&](int, std::function<void(grpc::Status)> done) {
    auto call = std::make_shared<
        Call<v1::VerifySignatureRequest, v1::VerifySignatureResponse>>();
    call->context.AddMetadata("authorization", "Bearer " + token);
    call->request = request;
    signatures->async()->VerifySignature(
        &call->context, &call->request, &call->response,
        [call, done = std::move(done)](grpc::Status status) {
          // A refused verdict is a failed call for the benchmark.
          if (status.ok() && !call->response.valid()) {
            status = grpc::Status(grpc::StatusCode::INTERNAL,
                                  call->response.error_code());
          }
          done(status);
        });
  };
  std::puts(RunLoad(name, Options(concurrency), verify).ToJson().c_str());
}

int Main() {
  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  if (scenario == "argon2") {
    // One verification at the parameters identityd uses, in a plain loop.
    auth::PasswordHasher hasher;
    const std::string hash = hasher.Hash(kUserPassword).value();
    const int iterations = absl::GetFlag(FLAGS_argon2_iterations);
    const absl::Time start = absl::Now();
    for (int i = 0; i < iterations; ++i) {
      if (!hasher.Verify(kUserPassword, hash).value()) return 1;
    }
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - start) /
                      static_cast<double>(iterations);
    // The same on every core at once: what the machine can really do, as
    // parallel verifications share memory bandwidth (19 MiB each).
    const int threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    std::vector<std::thread> workers;
    const absl::Time parallel_start = absl::Now();
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        for (int i = 0; i < iterations; ++i) {
          hasher.Verify(kUserPassword, hash).IgnoreError();
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
    const double parallel_rps =
        threads * iterations /
        absl::ToDoubleSeconds(absl::Now() - parallel_start);
    std::printf(
        "{\"name\":\"argon2\",\"verify_ms\":%.3f,\"parallel_rps\":%.1f}\n", ms,
        parallel_rps);
    return 0;
  }

  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_target),
                                     grpc::InsecureChannelCredentials());
  auto keys = v1::AccessKeyService::NewStub(channel);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  if (scenario == "empty") {
    const std::vector<std::string> no_token = {"unused"};
    std::puts(RunLoad("empty", Options(concurrency), ListKeys(*keys, no_token))
                  .ToJson()
                  .c_str());
    return 0;
  }
  if (scenario == "empty_verify_sigv4" || scenario == "empty_verify_obs") {
    // The bytes of a replayed request, sent to the empty handler: a key id,
    // secret and session token of the real ones' sizes.
    Verify(channel, scenario,
           SignedRequest(scenario == "empty_verify_sigv4",
                         "AKIDEMPTYFLOOR000000", std::string(40, 's')),
           "idt_" + std::string(43, 't'), concurrency);
    return 0;
  }
  if (scenario == "health") {
    auto health = grpc::health::v1::Health::NewStub(channel);
    StartCall check = [&health](int, std::function<void(grpc::Status)> done) {
      auto call =
          std::make_shared<Call<grpc::health::v1::HealthCheckRequest,
                                grpc::health::v1::HealthCheckResponse>>();
      health->async()->Check(
          &call->context, &call->request, &call->response,
          [call, done = std::move(done)](grpc::Status s) { done(s); });
    };
    std::puts(RunLoad("health", Options(concurrency), check).ToJson().c_str());
    return 0;
  }

  const std::string admin_password =
      testing::ReadTrimmedFile(absl::GetFlag(FLAGS_admin_password_file));
  auto users = v1::UserService::NewStub(channel);
  auto sessions = v1::SessionService::NewStub(channel);
  const int user_count = absl::GetFlag(FLAGS_users);
  std::vector<std::string> list_tokens;
  std::vector<std::string> create_names;
  const int bulk_users = absl::GetFlag(FLAGS_bulk_users);
  if (scenario == "list" && bulk_users > 0) {
    list_tokens = BulkUsers(*sessions, user_count, bulk_users);
  } else if (scenario == "list" || scenario == "list_under_create") {
    list_tokens =
        SeedUsers(*users, *sessions, "bench-l", user_count, admin_password);
  }
  if (scenario == "create" || scenario == "list_under_create") {
    SeedUsers(*users, *sessions, "bench-c", user_count, admin_password);
    for (int i = 0; i < user_count; ++i) {
      create_names.push_back(absl::StrCat("bench-c-", i));
    }
  }
  const int create_concurrency = absl::GetFlag(FLAGS_create_concurrency);
  if (scenario == "token") {
    // For a load generator we did not write (h2load): one session token
    // of a seeded user, on stdout.
    std::puts(
        SeedUsers(*users, *sessions, "bench-l", 1, admin_password)[0].c_str());
    return 0;
  }
  if (scenario == "verify_sigv4" || scenario == "verify_obs") {
    // The replayed request is verified as a gateway would ask: by an admin
    // session (a verifier service over mTLS takes the same path).
    SeedUsers(*users, *sessions, "bench-sig", 1, admin_password);
    grpc::ClientContext create;
    create.AddMetadata("authorization", Basic("bench-sig-0", kUserPassword));
    v1::CreateAccessKeyResponse key;
    grpc::Status status = keys->CreateAccessKey(&create, {}, &key);
    if (!status.ok() &&
        status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
      std::cerr << "create key: " << status.error_message() << "\n";
      return 1;
    }
    if (!status.ok()) {  // the seeded user's keys are used up: a second run
      std::cerr << "bench-sig-0 already holds its keys; use a fresh store\n";
      return 1;
    }
    const std::string admin_token = Login(*sessions, "admin", admin_password);
    Verify(channel, scenario,
           SignedRequest(scenario == "verify_sigv4",
                         key.access_key().access_key_id(),
                         key.secret_access_key()),
           admin_token, concurrency);
    return 0;
  }
  if (scenario == "list") {
    std::puts(RunLoad("list_bearer", Options(concurrency),
                      ListKeys(*keys, list_tokens))
                  .ToJson()
                  .c_str());
  } else if (scenario == "create") {
    std::puts(RunLoad("create_basic", Options(create_concurrency),
                      CreateKeys(*keys, create_names))
                  .ToJson()
                  .c_str());
  } else if (scenario == "list_under_create") {
    LoadReport creates;
    std::thread saturate([&] {
      creates = RunLoad("create_saturating", Options(create_concurrency),
                        CreateKeys(*keys, create_names));
    });
    LoadReport lists = RunLoad("list_under_create", Options(concurrency),
                               ListKeys(*keys, list_tokens));
    saturate.join();
    std::puts(lists.ToJson().c_str());
    std::puts(creates.ToJson().c_str());
  } else {
    std::cerr << "unknown --scenario " << scenario << "\n";
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace identity::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return identity::bench::Main();
}
