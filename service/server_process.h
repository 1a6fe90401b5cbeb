#ifndef IDENTITY_SERVICE_SERVER_PROCESS_H_
#define IDENTITY_SERVICE_SERVER_PROCESS_H_

namespace identity::service {

// Process-wide settings for a long-running server: the allocator's
// (ConfigureAllocatorForServer), and Abseil's mutex deadlock detection
// turned off. Debian builds Abseil without NDEBUG, which leaves that
// detection on in its abort mode: every absl::Mutex lock, gRPC's own
// included (gRPC's Mutex is absl::Mutex), updates one process-wide lock
// graph under one spinlock, and a lock-order inversion it sees, even one
// that can never deadlock, aborts the process. A server must not die of
// a debugging aid. (Its cost: about 5 % of a VerifySignature's own work
// on one thread; no difference in the server's throughput showed through
// this machine's noise.) Tests do not call this, so they keep the
// detection. identityd and the benchmark's empty server both call it, so
// the floor a benchmark compares against runs under the same settings.
// Call once, first thing in main(), before threads start.
void ConfigureServerProcess();

}  // namespace identity::service

#endif  // IDENTITY_SERVICE_SERVER_PROCESS_H_
