#ifndef IDENTITY_SERVICE_GRPC_HANDOFF_H_
#define IDENTITY_SERVICE_GRPC_HANDOFF_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <utility>

namespace identity::service {

// ConnectionRelayOptions::hand_to_backend for a gRPC server built with
// AddExternalConnectionAcceptor(FROM_FD): gRPC takes each relayed
// connection's descriptor (and closes it once it is shut down).
inline std::function<void(int listener_fd, int fd)> HandToGrpc(
    std::shared_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor) {
  return [acceptor = std::move(acceptor)](int listener_fd, int fd) {
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters
        connection;
    connection.listener_fd = listener_fd;
    connection.fd = fd;
    acceptor->HandleNewConnection(&connection);
  };
}

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_GRPC_HANDOFF_H_
