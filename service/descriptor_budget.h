#ifndef IDENTITY_SERVICE_DESCRIPTOR_BUDGET_H_
#define IDENTITY_SERVICE_DESCRIPTOR_BUDGET_H_

#include "absl/status/statusor.h"

namespace identity::service {

// Descriptors kept for everything but client connections: the store
// (RocksDB's max_open_files of 512, its WAL, MANIFEST, LOG and compaction
// outputs), gRPC's own (epoll, wakeups, listener), logs and the metrics
// endpoint. A connection flood must never take these: RocksDB turns a
// failed file open into a sticky background error that stops every write.
inline constexpr int kReservedDescriptors = 576;

// Each client connection costs three descriptors: the client's socket, the
// relay's socket to gRPC, and gRPC's end of it (see connection_relay.h).
inline constexpr int kDescriptorsPerConnection = 3;

// Raises the soft RLIMIT_NOFILE to the hard limit (the kernel's default soft
// limit of 1024 is far below what a server needs) and returns the soft
// limit now in force.
absl::StatusOr<int> RaiseDescriptorLimit();

// How many client connections fit in `descriptor_limit` beside the reserve,
// at most `requested`. FailedPrecondition when fewer than 16 fit: the
// limit is too low to serve.
absl::StatusOr<int> ConnectionsThatFit(int descriptor_limit, int requested);

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_DESCRIPTOR_BUDGET_H_
