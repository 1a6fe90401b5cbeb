// Clients that misbehave: deadlines already past, thousands of connections
// opened and dropped, raw bytes that are not HTTP/2. The server must stay
// up, answer the next well-behaved call, and not leak what they left.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/connection_relay.h"
#include "service/identity_server.h"
#include "service/logger.h"
#include "testing/loopback_socket.h"
#include "testing/server_env.h"

namespace identity::service {
namespace {

using testing::kAdminPassword;
using testing::ServerEnv;

constexpr char kAlicePassword[] = "alice-password-1";

int OpenFileDescriptors() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

class HostileClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.Start();
    env_.CreateUser("alice", kAlicePassword);
  }

  // A cheap authenticated call on the shared channel.
  grpc::Status ListKeys() {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", kAlicePassword);
    v1::ListAccessKeysResponse response;
    return env_.keys->ListAccessKeys(&context, {}, &response);
  }

  ServerEnv env_;
};

TEST_F(HostileClientsTest, DeadlinesAlreadyPastOrTooShort) {
  // Past before the call starts.
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    ServerEnv::SetBasic(context, "alice", kAlicePassword);
    context.set_deadline(std::chrono::system_clock::now() -
                         std::chrono::seconds(1));
    v1::CreateAccessKeyResponse response;
    EXPECT_EQ(env_.keys->CreateAccessKey(&context, {}, &response).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_TRUE(response.secret_access_key().empty());
  }
  // Shorter than one Argon2 verification: they expire in the queue or in
  // the handler. A key may still be committed after its caller gave up (the
  // secret is then lost, as for any dropped response), but never more than
  // the limit, and the server keeps serving.
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        grpc::ClientContext context;
        ServerEnv::SetBasic(context, "alice", kAlicePassword);
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::milliseconds(1));
        v1::CreateAccessKeyResponse response;
        grpc::Status status =
            env_.keys->CreateAccessKey(&context, {}, &response);
        EXPECT_TRUE(
            status.ok() ||
            status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
            status.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
            status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
            << status.error_code() << " " << status.error_message();
      }
    });
  }
  for (std::thread& client : clients) client.join();
  grpc::ClientContext context;
  ServerEnv::SetBasic(context, "alice", kAlicePassword);
  v1::ListAccessKeysResponse listed;
  ASSERT_TRUE(env_.keys->ListAccessKeys(&context, {}, &listed).ok());
  EXPECT_LE(listed.access_keys_size(), 2);
}

TEST_F(HostileClientsTest, ThousandsOfConnectionsOpenedAndDropped) {
  ASSERT_TRUE(ListKeys().ok());
  const int baseline = OpenFileDescriptors();
  const std::string target = absl::StrCat("127.0.0.1:", env_.server().port());
  // Each channel gets its own connection (no shared subchannel pool); half
  // make a call first, half are dropped right after connecting.
  for (int i = 0; i < 2000; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(
        target, grpc::InsecureChannelCredentials(), args);
    if (i % 2 == 0) {
      auto stub = v1::AccessKeyService::NewStub(channel);
      grpc::ClientContext context;
      ServerEnv::SetBasic(context, "not a user name", "wrong-password");
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(10));
      v1::ListAccessKeysResponse response;
      // Rejected before any password check: the name is not valid.
      EXPECT_NE(stub->ListAccessKeys(&context, {}, &response).error_code(),
                grpc::StatusCode::OK);
    } else {
      channel->WaitForConnected(std::chrono::system_clock::now() +
                                std::chrono::seconds(10));
    }
  }
  // Raw TCP: connect, write bytes that are not HTTP/2, hang up.
  for (int i = 0; i < 500; ++i) {
    const int fd = testing::ConnectLoopback(env_.server().port());
    ASSERT_GE(fd, 0);
    const std::string junk = i % 2 == 0 ? "GET / HTTP/1.1\r\n\r\n"
                                        : std::string(64, static_cast<char>(i));
    EXPECT_EQ(write(fd, junk.data(), junk.size()),
              static_cast<ssize_t>(junk.size()));
    close(fd);
  }
  ASSERT_TRUE(ListKeys().ok());
  // Server-side sockets close as the server notices the hang-ups.
  int open = OpenFileDescriptors();
  for (int i = 0; i < 100 && open > baseline + 50; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    open = OpenFileDescriptors();
  }
  EXPECT_LE(open, baseline + 50) << "file descriptors leak per connection";
}

// gRPC closes a connection (here: the preface is not HTTP/2's); the relay
// passes the end on, and a client that never closes its own side does not
// hold a --max_connections slot for ever: the relay closes it a few
// seconds after gRPC's end.
TEST_F(HostileClientsTest, ClientThatNeverClosesIsClosedAfterTheBackendEnds) {
  ASSERT_TRUE(ListKeys().ok());
  const int before = env_.server().relay_stats().connections;
  const int fd = testing::ConnectLoopback(env_.server().port());
  ASSERT_GE(fd, 0);
  const std::string junk(24, 'x');  // a preface that is not HTTP/2's
  ASSERT_EQ(write(fd, junk.data(), junk.size()),
            static_cast<ssize_t>(junk.size()));
  // The backend's end reaches us as an EOF; we keep our side open.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  bool eof = false;
  while (!eof && absl::Now() < deadline) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 100) <= 0) continue;
    char buffer[4096];
    eof = recv(fd, buffer, sizeof(buffer), 0) <= 0;
  }
  ASSERT_TRUE(eof);
  const absl::Time ended = absl::Now();
  for (int i = 0;
       i < 200 && env_.server().relay_stats().closed_after_backend_eof == 0;
       ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const absl::Duration held = absl::Now() - ended;
  EXPECT_EQ(env_.server().relay_stats().closed_after_backend_eof, 1u);
  EXPECT_LE(held, absl::Seconds(6));
  EXPECT_EQ(env_.server().relay_stats().connections, before);
  close(fd);
  ASSERT_TRUE(ListKeys().ok());
}

// A frame far longer than HTTP/2's initial 16 KiB: gRPC advertises a much
// larger SETTINGS_MAX_FRAME_SIZE (4187369 measured), so the relay does not
// judge frame lengths; it passes the frame on and gRPC decides.
TEST_F(HostileClientsTest, LongFramesArePassedToGrpcNotJudgedByTheRelay) {
  ASSERT_TRUE(ListKeys().ok());
  const int fd = testing::ConnectLoopback(env_.server().port());
  ASSERT_GE(fd, 0);
  std::string bytes = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  bytes += std::string("\0\0\0\x04\0\0\0\0\0", 9);  // SETTINGS
  // A PING-sized frame type with a 1 MiB length (an unknown type 0x20,
  // which HTTP/2 says to ignore), then its payload.
  bytes += std::string("\x10\0\0\x20\0\0\0\0\0", 9);
  bytes += std::string(1 << 20, 'x');
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  EXPECT_EQ(sent, bytes.size());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(env_.server().relay_stats().closed_for_framing, 0u);
  close(fd);
  ASSERT_TRUE(ListKeys().ok());
}

// The relayed connections' source addresses are checked: where they
// cannot be bound, the relay does not start (rather than fall back to one
// shared address, whose reused ports could hand a queued call another
// client's identity). Where they can, gRPC sees each connection from its
// own address, which Lookup() maps to the client.
TEST(ConnectionRelaySourceTest, RefusesToStartWhereSourcesAreNotLocal) {
  Logger logger(stderr, LogLevel::kError);
  ConnectionRelayOptions options;
  options.listen_address = "127.0.0.1:0";
  options.inspect_http2 = false;
  options.hand_to_backend = [](int, int fd) { close(fd); };
  options.first_source = 0xc0000201;  // 192.0.2.1 (TEST-NET-1): not local
  absl::StatusOr<std::unique_ptr<ConnectionRelay>> relay =
      ConnectionRelay::Start(options, logger);
  ASSERT_FALSE(relay.ok());
  EXPECT_TRUE(absl::StrContains(relay.status().message(), "192.0.2.1"))
      << relay.status();
  EXPECT_TRUE(absl::StrContains(relay.status().message(), "127/8"));

  options.first_source = 0x7f000001;  // 127.0.0.1
  std::string grpc_side_peer;
  absl::Notification handed;
  options.hand_to_backend = [&](int, int fd) {
    sockaddr_in peer{};
    socklen_t length = sizeof(peer);
    getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length);
    char host[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &peer.sin_addr, host, sizeof(host));
    grpc_side_peer = absl::StrCat("ipv4:", host, ":", ntohs(peer.sin_port));
    close(fd);
    handed.Notify();
  };
  relay = ConnectionRelay::Start(options, logger);
  ASSERT_TRUE(relay.ok()) << relay.status();
  const int fd = testing::ConnectLoopback((*relay)->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(handed.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(absl::StartsWith(grpc_side_peer, "ipv4:127.0.0.1:"))
      << grpc_side_peer;
  EXPECT_TRUE((*relay)->Lookup(grpc_side_peer).has_value());
  close(fd);
}

}  // namespace
}  // namespace identity::service
