// TLS and mTLS: identityd in process with certificates from
// deploy/dev-certs.sh, clients over TLS, with certificates of the same CA
// and of another, and the plaintext-beyond-loopback guard.
#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/identity_server.h"
#include "testing/loopback_socket.h"
#include "testing/server_env.h"
#include "testing/temp_dir.h"

namespace identity::service {
namespace {

using testing::ErrorReason;
using testing::kAdminPassword;
using testing::ReadFile;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";

// Certificates made by the script operators use, once per test binary;
// their directory is removed at exit (ctest runs each case in a process of
// its own: a leaked one left a directory in /tmp per case).
class Certificates {
 public:
  static const Certificates& Get() {
    static const Certificates certificates;
    return certificates;
  }
  std::string ours(const std::string& file) const { return dir_.Join(file); }
  std::string other(const std::string& file) const {
    return dir_.Join("other/" + file);
  }

 private:
  Certificates() {
    const std::string script =
        absl::StrCat(IDENTITY_SOURCE_DIR, "/deploy/dev-certs.sh");
    EXPECT_EQ(std::system(absl::StrCat(script, " ", dir_.Join(""),
                                       " ci-service > /dev/null")
                              .c_str()),
              0);
    EXPECT_EQ(std::system(absl::StrCat(script, " ", dir_.Join("other"),
                                       " ci-service > /dev/null")
                              .c_str()),
              0);
  }
  testing::TempDir dir_;
};

std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& ca,
                                              const std::string& cert = "",
                                              const std::string& key = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(ca);
  if (!cert.empty()) {
    options.pem_cert_chain = ReadFile(cert);
    options.pem_private_key = ReadFile(key);
  }
  return grpc::SslCredentials(options);
}

// TCP ports this process listens on at 127.0.0.1 (from /proc: the sockets
// among our descriptors in LISTEN state).
std::vector<int> OwnLoopbackListeners() {
  std::vector<std::string> inodes;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir)) {
      char target[128] = {};
      const std::string link = absl::StrCat("/proc/self/fd/", entry->d_name);
      if (readlink(link.c_str(), target, sizeof(target) - 1) > 0 &&
          absl::StartsWith(target, "socket:[")) {
        std::string inode(target + 8);
        inode.pop_back();  // ']'
        inodes.push_back(inode);
      }
    }
    closedir(dir);
  }
  std::vector<int> ports;
  // gRPC listens on 127.0.0.1 through an IPv6 socket (v4-mapped) here.
  for (const auto& [table_path, loopback] :
       {std::pair<const char*, const char*>{"/proc/self/net/tcp", "0100007F:"},
        {"/proc/self/net/tcp6", "0000000000000000FFFF00000100007F:"}}) {
    std::ifstream table(table_path);
    std::string line;
    std::getline(table, line);  // header
    while (std::getline(table, line)) {
      std::vector<std::string> fields =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      if (fields.size() < 10 || fields[3] != "0A" ||
          !absl::StartsWith(fields[1], loopback)) {
        continue;
      }
      if (std::find(inodes.begin(), inodes.end(), fields[9]) == inodes.end()) {
        continue;
      }
      int port = 0;
      const size_t colon = fields[1].find(':');
      if (absl::SimpleHexAtoi(fields[1].substr(colon + 1), &port)) {
        ports.push_back(port);
      }
    }
  }
  return ports;
}

// A TCP connection to 127.0.0.1:port that sends `bytes` and then nothing.
int ConnectAndSend(int port, absl::string_view bytes = "") {
  const int fd = testing::ConnectLoopback(port);
  EXPECT_GE(fd, 0);
  if (!bytes.empty()) {
    EXPECT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  return fd;
}

// A connection to `port` from `source` (a 127.x.y.z address).
int ConnectFrom(const char* source, int port) {
  const int fd = testing::ConnectLoopback(port, source);
  EXPECT_GE(fd, 0);
  return fd;
}

// Whether the server closed `fd` (EOF or reset) within `timeout`.
bool ClosedByServerWithin(int fd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    pollfd waiting{fd, POLLIN, 0};
    const int ready = poll(&waiting, 1, 50);
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return true;  // a TLS alert first is read and skipped
  }
  return false;
}

class TlsTest : public ::testing::Test {
 protected:
  void ServeTls(bool mutual, const std::string& principals = "") {
    const Certificates& certs = Certificates::Get();
    env_.config().tls_cert_file = certs.ours("server.pem");
    env_.config().tls_key_file = certs.ours("server.key");
    if (mutual) env_.config().tls_client_ca_file = certs.ours("ca.pem");
    if (!principals.empty()) {
      const std::string file = env_.dir().Join("principals");
      std::ofstream(file) << principals;
      env_.config().service_principals_file = file;
    }
  }

  // The stubs present deploy/dev-certs.sh's client certificate (ci-service).
  void UseOurClientCertificate() {
    const Certificates& certs = Certificates::Get();
    env_.UseChannelCredentials(
        Tls(certs.ours("ca.pem"), certs.ours("client.pem"),
            certs.ours("client.key")),
        "localhost");
  }

  // ListAccessKeys as the admin (password) on a channel of its own, over
  // TLS without a client certificate.
  grpc::Status ListKeysOnNewTlsChannel() {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto stub = v1::AccessKeyService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", env_.server().port()),
        Tls(Certificates::Get().ours("ca.pem")), args));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    ServerEnv::SetBasic(context, "admin", kAdminPassword);
    v1::ListAccessKeysResponse response;
    return stub->ListAccessKeys(&context, {}, &response);
  }

  grpc::Status CreateKey(const std::string& user, const std::string& password,
                         const std::string& for_user) {
    grpc::ClientContext context;
    if (!user.empty()) ServerEnv::SetBasic(context, user, password);
    v1::CreateAccessKeyRequest request;
    request.set_user_name(for_user);
    v1::CreateAccessKeyResponse response;
    return env_.keys->CreateAccessKey(&context, request, &response);
  }
  grpc::Status ListKeys(const std::string& user, const std::string& password,
                        const std::string& for_user, int* count) {
    grpc::ClientContext context;
    if (!user.empty()) ServerEnv::SetBasic(context, user, password);
    v1::ListAccessKeysRequest request;
    request.set_user_name(for_user);
    v1::ListAccessKeysResponse response;
    grpc::Status status =
        env_.keys->ListAccessKeys(&context, request, &response);
    *count = response.access_keys_size();
    return status;
  }

  ServerEnv env_;
};

TEST_F(TlsTest, CreateAndListOverTls) {
  ServeTls(/*mutual=*/false);
  env_.UseChannelCredentials(Tls(Certificates::Get().ours("ca.pem")),
                             "localhost");
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "").ok());
  int count = 0;
  ASSERT_TRUE(ListKeys("alice", kAlicePassword, "", &count).ok());
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(absl::StrContains(env_.ReadLog(), "\"transport\":\"tls\""));

  // A plaintext client cannot talk to it.
  auto plain = v1::AccessKeyService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", env_.server().port()),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  v1::ListAccessKeysResponse response;
  EXPECT_EQ(plain->ListAccessKeys(&context, {}, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// deploy/dev-certs.sh makes ECDSA keys; a PKI may issue RSA ones.
TEST_F(TlsTest, RsaCertificateServesToo) {
  const std::string key = env_.dir().Join("rsa.key");
  const std::string cert = env_.dir().Join("rsa.pem");
  ASSERT_EQ(
      std::system(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes "
                               "-sha256 -days 2 -subj /CN=localhost -addext "
                               "subjectAltName=DNS:localhost -keyout ",
                               key, " -out ", cert, " 2> /dev/null")
                      .c_str()),
      0);
  env_.config().tls_cert_file = cert;
  env_.config().tls_key_file = key;
  env_.UseChannelCredentials(Tls(cert), "localhost");
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);
  ASSERT_TRUE(CreateKey("alice", kAlicePassword, "").ok());
}

TEST_F(TlsTest, MutualTlsServiceAdminActsForAnyUser) {
  ServeTls(/*mutual=*/true, "# services\nci-service admin\n");
  UseOurClientCertificate();
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);  // Basic still works over mTLS
  // No password, no token: the certificate is the credential.
  ASSERT_TRUE(CreateKey("", "", "alice").ok());
  int count = 0;
  ASSERT_TRUE(ListKeys("", "", "alice", &count).ok());
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(
      absl::StrContains(env_.ReadLog(), "\"actor\":\"svc:ci-service\""));
  EXPECT_TRUE(absl::StrContains(env_.ReadLog(), "\"transport\":\"mtls\""));
}

TEST_F(TlsTest, MutualTlsReaderMayOnlyRead) {
  ServeTls(/*mutual=*/true, "ci-service reader\n");
  UseOurClientCertificate();
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);
  int count = -1;
  EXPECT_TRUE(ListKeys("", "", "alice", &count).ok());
  EXPECT_EQ(count, 0);
  EXPECT_EQ(CreateKey("", "", "alice").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Role verifier: VerifySignature answers (a verdict, here on an unsigned
// request), every other call is refused, reads included; a reader may not
// verify.
TEST_F(TlsTest, MutualTlsVerifierMayOnlyVerify) {
  ServeTls(/*mutual=*/true, "ci-service verifier\n");
  UseOurClientCertificate();
  env_.Start();
  env_.CreateUser("alice", kAlicePassword);
  v1::VerifySignatureRequest request;
  request.mutable_request()->set_method("GET");
  request.mutable_request()->set_path("/");
  v1::VerifySignatureResponse response;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        env_.signatures->VerifySignature(&context, request, &response).ok());
  }
  EXPECT_FALSE(response.valid());
  EXPECT_EQ(response.error_code(), "AccessDenied");
  int count = -1;
  EXPECT_EQ(ListKeys("", "", "alice", &count).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateKey("", "", "alice").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext context;
  v1::ListAuditEventsResponse events;
  EXPECT_EQ(env_.audit->ListAuditEvents(&context, {}, &events).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TlsTest, MutualTlsReaderMayNotVerify) {
  ServeTls(/*mutual=*/true, "ci-service reader\n");
  UseOurClientCertificate();
  env_.Start();
  grpc::ClientContext context;
  v1::VerifySignatureRequest request;
  v1::VerifySignatureResponse response;
  EXPECT_EQ(env_.signatures->VerifySignature(&context, request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(TlsTest, MutualTlsRefusesOtherCasAndNoCertificate) {
  ServeTls(/*mutual=*/true, "ci-service admin\n");
  const Certificates& certs = Certificates::Get();
  // Same name, but signed by another CA: the handshake fails.
  env_.UseChannelCredentials(
      Tls(certs.ours("ca.pem"), certs.other("client.pem"),
          certs.other("client.key")),
      "localhost");
  env_.Start();
  int count = 0;
  grpc::ClientContext context;
  EXPECT_EQ(ListKeys("", "", "admin", &count).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListKeysOnNewTlsChannel().error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// The relay terminates TLS and hands gRPC plaintext connections it made
// itself: gRPC listens on no port. The only loopback listener besides the
// front door is the relay's private one, and a local process that connects
// there is closed unread: no call served, not with a valid admin password,
// not with a header that claims a certificate.
TEST_F(TlsTest, GrpcHasNoPortAndTheRelaysPrivateListenerServesNothing) {
  ServeTls(/*mutual=*/true, "ci-service admin\n");
  UseOurClientCertificate();
  env_.Start();
  int count = -1;
  ASSERT_TRUE(ListKeys("", "", "admin", &count).ok());  // the front door
  std::vector<int> backdoors;
  for (int port : OwnLoopbackListeners()) {
    if (port != env_.server().port()) backdoors.push_back(port);
  }
  EXPECT_EQ(backdoors, std::vector<int>{env_.server().relay_private_port()});
  for (int port : backdoors) {
    auto direct = v1::AccessKeyService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    for (bool with_password : {true, false}) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(5));
      if (with_password) ServerEnv::SetBasic(context, "admin", kAdminPassword);
      context.AddMetadata("x-forwarded-client-cert", "CN=ci-service");
      context.AddMetadata("x-forwarded-for", "203.0.113.7");
      v1::ListAccessKeysRequest request;
      request.set_user_name("admin");
      v1::ListAccessKeysResponse response;
      grpc::Status status =
          direct->ListAccessKeys(&context, request, &response);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
          << "port " << port << ": " << status.error_message();
    }
  }
  EXPECT_GE(env_.server().relay_stats().intruders_closed, 1u);
  // A raw connection there is closed (reset, perhaps before the preface
  // is even sent) without a byte of gRPC's SETTINGS.
  const int raw = ConnectAndSend(env_.server().relay_private_port());
  const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  [[maybe_unused]] ssize_t sent =
      send(raw, preface, sizeof(preface) - 1, MSG_NOSIGNAL);
  EXPECT_TRUE(ClosedByServerWithin(raw, absl::Seconds(5)));
  close(raw);
  // And the front door still serves.
  EXPECT_TRUE(ListKeys("", "", "admin", &count).ok());
}

// A client that connects and never finishes its handshake holds its
// descriptor for --tls_handshake_timeout, no longer.
TEST_F(TlsTest, HandshakeThatNeverFinishesIsDropped) {
  ServeTls(/*mutual=*/false);
  env_.config().tls_handshake_timeout = absl::Milliseconds(300);
  env_.UseChannelCredentials(Tls(Certificates::Get().ours("ca.pem")),
                             "localhost");
  env_.Start();
  // Silent, and with the first bytes of a ClientHello record.
  const int silent = ConnectAndSend(env_.server().port());
  const int half = ConnectAndSend(env_.server().port(), "\x16\x03\x01\x02");
  EXPECT_TRUE(ClosedByServerWithin(silent, absl::Seconds(5)));
  EXPECT_TRUE(ClosedByServerWithin(half, absl::Seconds(5)));
  close(silent);
  close(half);
  EXPECT_EQ(env_.server().relay_stats().tls_handshakes_timed_out, 2u);
  EXPECT_EQ(env_.server().relay_stats().tls_handshakes, 0);
  int count = -1;
  EXPECT_TRUE(ListKeys("admin", kAdminPassword, "", &count).ok());
}

// Handshakes in progress are capped: one more is closed at once, calls on
// an established connection go on, and new clients are served once the
// slow handshakes are gone.
// A burst of connections that each send a whole ClientHello at once: the
// relay runs their key exchanges within its per-round handshake budget
// (2 ms, plus the one handshake that crosses it), not straight after
// accept, where a flood would take the thread from established clients.
TEST_F(TlsTest, HandshakeBurstStaysWithinTheRoundBudget) {
  ServeTls(/*mutual=*/false);
  env_.UseChannelCredentials(Tls(Certificates::Get().ours("ca.pem")),
                             "localhost");
  env_.Start();
  int count = -1;
  ASSERT_TRUE(ListKeys("admin", kAdminPassword, "", &count).ok());
  // A TLS 1.2-1.3 ClientHello (ALPN h2, SNI localhost) made by Python's
  // ssl module; the server answers a replayed one with its first flight.
  const std::string hello = absl::HexStringToBytes(
      "1603010200010001fc03038b84946f958f5a473aa281fdefe60560489216c508"
      "e5d7a0a6d3593453ba84c220692bd5d394a70608798e7de01ed5bcd38391cd70"
      "d8f256a03d03c8550d1dd43c003e130213031301c02cc030009fcca9cca8ccaa"
      "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
      "009c003d003c0035002f00ff010001750000000e000c0000096c6f63616c686f"
      "7374000b000403000102000a00160014001d0017001e00190018010001010102"
      "01030104002300000010000500030268320016000000170000000d002a002804"
      "0305030603080708080809080a080b0804080508060401050106010303030103"
      "02040205020602002b0009080304030303020301002d00020101003300260024"
      "001d00203c836e90b05c7b260e8d3b7e39368364513feafbf14d115b894c59a4"
      "3383861d001500bd000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000");
  std::vector<int> burst;
  for (int i = 0; i < 64; ++i) {
    burst.push_back(ConnectAndSend(env_.server().port(), hello));
  }
  for (int fd : burst) {  // each got the server's first flight
    pollfd answered{fd, POLLIN, 0};
    EXPECT_EQ(poll(&answered, 1, 10000), 1);
  }
  const absl::Duration most =
      env_.server().relay_stats().max_handshake_work_per_round;
  EXPECT_GT(most, absl::ZeroDuration());
  EXPECT_LE(most, absl::Milliseconds(25)) << "one round did " << most;
  for (int fd : burst) close(fd);
  EXPECT_TRUE(ListKeys("admin", kAdminPassword, "", &count).ok());
}

TEST_F(TlsTest, HandshakeLimitClosesBeyondAndEstablishedCallsGoOn) {
  ServeTls(/*mutual=*/false);
  env_.config().max_tls_handshakes = 4;
  env_.config().tls_handshake_timeout = absl::Seconds(30);
  env_.UseChannelCredentials(Tls(Certificates::Get().ours("ca.pem")),
                             "localhost");
  env_.Start();
  int count = -1;
  ASSERT_TRUE(ListKeys("admin", kAdminPassword, "", &count).ok());
  // Each has sent a byte of its ClientHello: none is silent, so none is
  // evicted for a newcomer.
  std::vector<int> slow;
  for (int i = 0; i < 4; ++i)
    slow.push_back(ConnectAndSend(env_.server().port(), "\x16"));
  // The relay counts them as they are accepted.
  for (int i = 0; i < 100 && env_.server().relay_stats().tls_handshakes < 4;
       ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(env_.server().relay_stats().tls_handshakes, 4);
  const int beyond = ConnectAndSend(env_.server().port());
  EXPECT_TRUE(ClosedByServerWithin(beyond, absl::Seconds(5)));
  close(beyond);
  EXPECT_GE(env_.server().relay_stats().refused_at_handshake_limit, 1u);
  // The stubs' connection was established before: it is still served.
  EXPECT_TRUE(ListKeys("admin", kAdminPassword, "", &count).ok());
  for (int fd : slow) close(fd);
  for (int i = 0; i < 100 && env_.server().relay_stats().tls_handshakes > 0;
       ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(env_.server().relay_stats().tls_handshakes, 0);
  EXPECT_TRUE(ListKeysOnNewTlsChannel().ok());
}

// One client filling the handshake pool with silent connections does not
// lock newcomers out: the oldest silent one makes room.
TEST_F(TlsTest, SilentHandshakesMakeRoomForNewcomers) {
  ServeTls(/*mutual=*/false);
  env_.config().max_tls_handshakes = 4;
  env_.config().tls_handshake_timeout = absl::Seconds(30);
  env_.UseChannelCredentials(Tls(Certificates::Get().ours("ca.pem")),
                             "localhost");
  env_.Start();
  std::vector<int> silent;
  for (int i = 0; i < 4; ++i)
    silent.push_back(ConnectAndSend(env_.server().port()));
  for (int i = 0; i < 100 && env_.server().relay_stats().tls_handshakes < 4;
       ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(env_.server().relay_stats().tls_handshakes, 4);
  EXPECT_TRUE(ListKeysOnNewTlsChannel().ok());
  EXPECT_GE(env_.server().relay_stats().tls_handshakes_evicted, 1u);
  EXPECT_EQ(env_.server().relay_stats().refused_at_handshake_limit, 0u);
  EXPECT_TRUE(ClosedByServerWithin(silent[0], absl::Seconds(1)));
  for (int fd : silent) close(fd);
}

// A TLS connection that sends nothing is dropped after the ClientHello's
// own deadline (2 s), long before --tls_handshake_timeout; one that sent a
// byte has the whole handshake timeout.
TEST_F(TlsTest, SilentConnectionIsDroppedAfterTheHelloTimeout) {
  ServeTls(/*mutual=*/false);
  env_.config().tls_handshake_timeout = absl::Seconds(30);
  env_.Start();
  const absl::Time start = absl::Now();
  const int silent = ConnectAndSend(env_.server().port());
  const int started = ConnectAndSend(env_.server().port(), "\x16");
  EXPECT_TRUE(ClosedByServerWithin(silent, absl::Seconds(6)));
  const absl::Duration held = absl::Now() - start;
  EXPECT_GE(held, absl::Milliseconds(1500));
  EXPECT_LE(held, absl::Seconds(5));
  EXPECT_FALSE(ClosedByServerWithin(started, absl::Milliseconds(500)));
  EXPECT_EQ(env_.server().relay_stats().tls_handshakes_timed_out, 1u);
  close(silent);
  close(started);
}

// One address holds at most 8 handshakes in progress; others still get in.
TEST_F(TlsTest, HandshakesPerAddressAreCapped) {
  ServeTls(/*mutual=*/false);
  env_.config().tls_handshake_timeout = absl::Seconds(30);
  env_.UseChannelCredentials(Tls(Certificates::Get().ours("ca.pem")),
                             "localhost");
  env_.Start();
  std::vector<int> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(ConnectFrom("127.0.0.2", env_.server().port()));
  }
  for (int i = 0; i < 100 && env_.server().relay_stats().tls_handshakes < 8;
       ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(env_.server().relay_stats().tls_handshakes, 8);
  const int beyond = ConnectFrom("127.0.0.2", env_.server().port());
  EXPECT_TRUE(ClosedByServerWithin(beyond, absl::Seconds(1)));
  close(beyond);
  EXPECT_EQ(env_.server().relay_stats().refused_at_address_handshake_limit, 1u);
  EXPECT_TRUE(ListKeysOnNewTlsChannel().ok());  // from 127.0.0.1
  for (int fd : held) close(fd);
}

// Much data through one TLS connection at once: the relay's Pump stops
// after 16 rounds, but bytes OpenSSL already took off the socket get no
// readiness event, so it goes on while OpenSSL holds some. No call may hang
// for want of an event.
TEST_F(TlsTest, ManyLargeRequestsOnOneTlsConnectionAllGetAnswers) {
  ServeTls(/*mutual=*/false);
  env_.UseChannelCredentials(Tls(Certificates::Get().ours("ca.pem")),
                             "localhost");
  env_.Start();
  int count = -1;
  ASSERT_TRUE(ListKeys("admin", kAdminPassword, "", &count).ok());
  std::atomic<int> hung{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(20));
        v1::ListAccessKeysRequest request;
        // Under --max_receive_message_bytes (64 KiB), sizes varied so that
        // TLS records end at different points of the relay's reads.
        request.set_user_name(std::string(40000 + 997 * t + 131 * i, 'a'));
        v1::ListAccessKeysResponse response;
        const grpc::Status status =
            env_.keys->ListAccessKeys(&context, request, &response);
        if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
          ++hung;
        } else {
          ++answered;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(hung.load(), 0);
  EXPECT_EQ(answered.load(), 200);
}

TEST_F(TlsTest, PlaintextBeyondLoopbackNeedsInsecure) {
  ServerConfig config = env_.config();
  config.listen_address = "0.0.0.0:0";
  Logger logger(std::tmpfile());
  absl::StatusOr<std::unique_ptr<IdentityServer>> refused =
      IdentityServer::Start(config, logger);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "--insecure"));

  env_.config().listen_address = "0.0.0.0:0";
  env_.config().allow_insecure = true;
  env_.Start();
  EXPECT_TRUE(absl::StrContains(env_.ReadLog(), "insecure_listen"));
}

// A host name is loopback only if it resolves to loopback: the spelling
// "127." proves nothing.
TEST_F(TlsTest, PlaintextLoopbackIsJudgedByResolvedAddresses) {
  for (const char* address : {"127.evil.example:0", "127.0.0.1.example:0"}) {
    ServerConfig config = env_.config();
    config.listen_address = address;
    Logger logger(std::tmpfile());
    absl::StatusOr<std::unique_ptr<IdentityServer>> refused =
        IdentityServer::Start(config, logger);
    ASSERT_FALSE(refused.ok()) << address;
    EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()))
        << address << ": " << refused.status();
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "--insecure"));
  }
  // localhost resolves (/etc/hosts) to loopback only.
  env_.config().listen_address = "localhost:0";
  env_.Start();
  EXPECT_FALSE(absl::StrContains(env_.ReadLog(), "insecure_listen"));
}

}  // namespace
}  // namespace identity::service
