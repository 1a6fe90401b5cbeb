#ifndef IDENTITY_TESTS_TESTING_ETCD_CLUSTER_H_
#define IDENTITY_TESTS_TESTING_ETCD_CLUSTER_H_

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "testing/child_process.h"
#include "testing/loopback_socket.h"
#include "testing/temp_dir.h"

namespace identity::testing {

// A 3-member etcd cluster (Debian's /usr/bin/etcd) on loopback, with its
// data under a temp dir; members can be killed and restarted. Elections are
// tuned faster than etcd's defaults (50 ms heartbeat, 500 ms election) so
// fault tests stay short. Members are ended with SIGTERM and, after a grace
// period, SIGKILL: SIGTERM without quorum can hang.
class EtcdCluster {
 public:
  static constexpr int kMembers = 3;

  EtcdCluster() {
    token_ = absl::StrCat("identity-test-", getpid(), "-",
                          absl::ToUnixNanos(absl::Now()));
    for (int i = 0; i < kMembers; ++i) {
      client_ports_.push_back(FreeLoopbackPort());
      peer_ports_.push_back(FreeLoopbackPort());
    }
    members_.resize(kMembers);
    for (int i = 0; i < kMembers; ++i) Start(i);
  }
  // All members at once, so none waits for a quorum the others took away.
  ~EtcdCluster() {
    for (auto& member : members_) {
      if (member != nullptr) member->Signal(SIGTERM);
    }
    const absl::Time give_up = absl::Now() + absl::Seconds(1);
    for (int i = 0; i < kMembers; ++i) {
      if (members_[i] == nullptr) continue;
      members_[i]->Wait(std::max(absl::ZeroDuration(), give_up - absl::Now()));
      Kill(i);
    }
  }
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // host:port of every member's client URL.
  std::vector<std::string> endpoints() const {
    std::vector<std::string> out;
    for (int port : client_ports_) out.push_back(Address(port));
    return out;
  }
  std::string endpoints_flag() const { return absl::StrJoin(endpoints(), ","); }

  void Start(int i) {
    if (members_[i] != nullptr) return;
    std::vector<std::string> peers;
    for (int m = 0; m < kMembers; ++m) {
      peers.push_back(
          absl::StrCat("m", m, "=http://", Address(peer_ports_[m])));
    }
    const std::string client_url = "http://" + Address(client_ports_[i]);
    const std::string peer_url = "http://" + Address(peer_ports_[i]);
    members_[i] = std::make_unique<ChildProcess>(
        std::vector<std::string>{
            "/usr/bin/etcd", absl::StrCat("--name=m", i),
            "--data-dir=" + dir_.Join(absl::StrCat("m", i)),
            "--listen-client-urls=" + client_url,
            "--advertise-client-urls=" + client_url,
            "--listen-peer-urls=" + peer_url,
            "--initial-advertise-peer-urls=" + peer_url,
            "--initial-cluster=" + absl::StrJoin(peers, ","),
            "--initial-cluster-state=new", "--initial-cluster-token=" + token_,
            "--heartbeat-interval=50", "--election-timeout=500",
            "--log-level=error", "--logger=zap"},
        dir_.Join(absl::StrCat("m", i, ".out")),
        dir_.Join(absl::StrCat("m", i, ".err")));
  }

  void Kill(int i) {
    if (members_[i] == nullptr) return;
    members_[i]->Signal(SIGKILL);
    members_[i]->Wait(absl::Seconds(5));
    members_[i].reset();
  }

  void Stop(int i) {
    if (members_[i] == nullptr) return;
    members_[i]->Signal(SIGTERM);
    members_[i]->Wait(absl::Seconds(2));
    Kill(i);
  }

  bool running(int i) const { return members_[i] != nullptr; }

  // Where the members keep their data (and logs).
  const std::string& data_root() const { return dir_.path(); }

  // True once a linearizable read succeeds through member `i` (it has a
  // leader and a quorum), within `timeout`.
  bool WaitForQuorum(int i, absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    // A channel made before the member listens backs off for seconds:
    // wait for the port first, then ask through a fresh channel each time.
    while (!Accepts(client_ports_[i]) && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    while (absl::Now() < give_up) {
      auto stub = etcdserverpb::KV::NewStub(Channel(i));
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
      etcdserverpb::RangeRequest request;
      request.set_key("health");
      etcdserverpb::RangeResponse response;
      if (stub->Range(&context, request, &response).ok()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }
  bool WaitForQuorum(absl::Duration timeout) {
    for (int i = 0; i < kMembers; ++i) {
      if (running(i)) return WaitForQuorum(i, timeout);
    }
    return false;
  }

  // The index of the member the running members agree leads; -1 if none.
  int Leader(absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      std::vector<uint64_t> ids(kMembers, 0);
      uint64_t leader = 0;
      for (int i = 0; i < kMembers; ++i) {
        if (!running(i)) continue;
        auto stub = etcdserverpb::Maintenance::NewStub(Channel(i));
        grpc::ClientContext context;
        context.set_deadline(
            absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
        etcdserverpb::StatusResponse status;
        if (stub->Status(&context, etcdserverpb::StatusRequest(), &status)
                .ok()) {
          ids[i] = status.header().member_id();
          if (status.leader() != 0) leader = status.leader();
        }
      }
      for (int i = 0; i < kMembers; ++i) {
        if (leader != 0 && ids[i] == leader) return i;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return -1;
  }

 private:
  static bool Accepts(int port) {
    const int fd = ConnectLoopback(port);
    if (fd < 0) return false;
    close(fd);
    return true;
  }
  static std::string Address(int port) {
    return absl::StrCat("127.0.0.1:", port);
  }
  std::shared_ptr<grpc::Channel> Channel(int i) const {
    // Short reconnect backoff: a member that is just starting is asked
    // again within 100-500 ms, not after gRPC's default seconds.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(Address(client_ports_[i]),
                                     grpc::InsecureChannelCredentials(), args);
  }

  TempDir dir_;
  std::string token_;
  std::vector<int> client_ports_;
  std::vector<int> peer_ports_;
  std::vector<std::unique_ptr<ChildProcess>> members_;
};

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_ETCD_CLUSTER_H_
