#!/usr/bin/python3
"""identityd against hostile networks: HTTP/2 stream floods, rapid reset
(CVE-2023-44487) and connection floods past RLIMIT_NOFILE.

  hostile_network_test.py IDENTITYD SCENARIO

SCENARIO is one of open_streams, rapid_reset, connection_flood. Each starts
its own identityd on 127.0.0.1:0 with default flags (and, for the
connection flood, a low descriptor limit set for the child only), attacks it
with tests/e2e/raw_http2.py or plain TCP, and asserts:
- open_streams / rapid_reset: from one connection and from eight, the
  child's RSS (/proc/<pid>/status) stays under 512 MiB (the Kubernetes
  manifest's limit), a Health check made meanwhile on its own connection
  succeeds every time, and RSS is back within 64 MiB of where it started
  after the flood;
- connection_flood: after twice the descriptor limit's worth of idle
  connections, a new client is served within 5 s of the flood ending and an
  admin write (CreateUser) succeeds.
Every loop here is bounded in time.
"""

import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_http2  # noqa: E402

import grpc  # noqa: E402  (Debian's python3-grpcio)

MIB = 1024 * 1024
RSS_LIMIT_MIB = 512
# What a flood may leave behind once it is over: glibc keeps freed memory
# in per-thread arenas, and gRPC's threads grew theirs. Measured: 2-7 MiB.
RSS_TOLERANCE_MIB = 64
FLOOD_SECONDS = 4.0
ADMIN_PASSWORD = "hostile-network-admin-password"


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


class Identityd:
    def __init__(self, binary, work, nofile=None, extra=()):
        self.work = work
        with open(os.path.join(work, "admin.pw"), "w") as f:
            f.write(ADMIN_PASSWORD + "\n")
        self.log_path = os.path.join(work, "identityd.log")
        self.log = open(self.log_path, "w")

        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.process = subprocess.Popen(
            [binary, "--listen=127.0.0.1:0",
             "--data_dir=" + os.path.join(work, "data"),
             "--master_key_file=" + os.path.join(work, "master.key"),
             "--bootstrap_password_file=" + os.path.join(work, "admin.pw"),
             "--log_level=warning"] + list(extra),
            stdout=subprocess.DEVNULL, stderr=self.log, preexec_fn=limit)
        self.port = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.process.poll() is None:
            with open(self.log_path) as f:
                match = re.search(r'"event":"serving".*?"port":"(\d+)"',
                                  f.read())
            if match:
                self.port = int(match.group(1))
                break
            time.sleep(0.02)
        if self.port is None:
            fail("identityd did not start: " + self.read_log())

    def rss_mib(self):
        with open("/proc/%d/status" % self.process.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return 0.0

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()[-20000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


def health_check(port, timeout=2.0):
    """grpc.health.v1.Health/Check on a fresh channel; True if SERVING."""
    with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        try:
            # HealthCheckResponse{status: SERVING} is field 1 = 1.
            return check(b"", timeout=timeout) == b"\x08\x01"
        except grpc.RpcError:
            return False


def proto_string(field, text):
    data = text.encode()
    return bytes([field << 3 | 2, len(data)]) + data


def create_user(port, name, timeout=5.0):
    """UserService/CreateUser as the bootstrap admin; the status code."""
    import base64
    token = base64.b64encode(("admin:" + ADMIN_PASSWORD).encode()).decode()
    request = (proto_string(1, name) +
               proto_string(2, "password-of-" + name))
    with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
        call = channel.unary_unary("/identity.v1.UserService/CreateUser")
        try:
            call(request, timeout=timeout,
                 metadata=[("authorization", "Basic " + token)])
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()


def stream_flood(binary, kind):
    work = tempfile.mkdtemp(prefix="hostile-network-")
    server = Identityd(binary, work)
    try:
        if not health_check(server.port, timeout=10):
            fail("no Health answer before the flood")
        base = server.rss_mib()
        for connections in (1, 8):
            peak = [base]
            checks = {"ok": 0, "failed": 0}
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    peak[0] = max(peak[0], server.rss_mib())
                    time.sleep(0.1)

            def probe():
                while not stop.is_set():
                    ok = health_check(server.port)
                    checks["ok" if ok else "failed"] += 1
                    time.sleep(0.25)

            threads = [threading.Thread(target=sample),
                       threading.Thread(target=probe)]
            for t in threads:
                t.start()
            sent = raw_http2.flood(server.port, kind, FLOOD_SECONDS,
                                   connections=connections)
            # Work gRPC had queued keeps running after the sockets close:
            # keep sampling a while.
            time.sleep(2)
            stop.set()
            for t in threads:
                t.join(timeout=10)
            print("%s flood, %d connection(s): %d streams in %.0f s, RSS "
                  "base %.0f MiB, peak %.0f MiB; Health %d ok, %d failed" %
                  (kind, connections, sent, FLOOD_SECONDS, base, peak[0],
                   checks["ok"], checks["failed"]), flush=True)
            if server.process.poll() is not None:
                fail("identityd exited during the flood: " + server.read_log())
            if peak[0] >= RSS_LIMIT_MIB:
                fail("RSS reached %.0f MiB (limit %d)" % (peak[0],
                                                          RSS_LIMIT_MIB))
            if checks["failed"] > 0 or checks["ok"] == 0:
                fail("Health checks during the flood: %d ok, %d failed" %
                     (checks["ok"], checks["failed"]))
            deadline = time.monotonic() + 10
            while (server.rss_mib() > base + RSS_TOLERANCE_MIB and
                   time.monotonic() < deadline):
                time.sleep(0.2)
            after = server.rss_mib()
            print("  RSS after the flood: %.0f MiB" % after, flush=True)
            if after > base + RSS_TOLERANCE_MIB:
                fail("RSS stayed at %.0f MiB after the flood (base %.0f, "
                     "tolerance %d)" % (after, base, RSS_TOLERANCE_MIB))
        if create_user(server.port, "after-flood") != grpc.StatusCode.OK:
            fail("CreateUser failed after the flood")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def connection_flood(binary):
    # The child gets 1024 descriptors; the flood opens twice as many
    # connections, which needs that many here too.
    nofile = 1024
    flood_size = 2 * nofile
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < flood_size + 64:
        fail("this test needs RLIMIT_NOFILE of %d, the hard limit is %d" %
             (flood_size + 64, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, flood_size + 64),
                                                hard))
    work = tempfile.mkdtemp(prefix="hostile-network-")
    server = Identityd(binary, work, nofile=nofile)
    sockets = []
    try:
        deadline = time.monotonic() + 20
        refused = 0
        while len(sockets) < flood_size and time.monotonic() < deadline:
            try:
                sockets.append(socket.create_connection(
                    ("127.0.0.1", server.port), timeout=2))
            except OSError:
                refused += 1
        # Each connection sends half a preface and goes idle, as a slow
        # client would.
        for s in sockets:
            try:
                s.send(raw_http2.PREFACE[:10])
            except OSError:
                pass
        time.sleep(1)
        print("connection flood: %d connections opened (%d refused) against "
              "RLIMIT_NOFILE %d" % (len(sockets), refused, nofile),
              flush=True)
        if server.process.poll() is not None:
            fail("identityd exited during the flood: " + server.read_log())
        for s in sockets:
            s.close()
        sockets = []
        ended = time.monotonic()
        served = False
        while time.monotonic() - ended < 5:
            if health_check(server.port, timeout=1):
                served = True
                break
        waited = time.monotonic() - ended
        print("  new client served %.2f s after the flood ended" % waited,
              flush=True)
        if not served:
            fail("no new client was served within 5 s after the flood: " +
                 server.read_log())
        code = create_user(server.port, "after-connection-flood")
        if code != grpc.StatusCode.OK:
            fail("CreateUser after the flood: %s\n%s" % (code,
                                                         server.read_log()))
        print("  CreateUser after the flood: OK", flush=True)
        if "connection_limit_reached" not in server.read_log():
            fail("the flood never reached the connection limit")
    finally:
        for s in sockets:
            s.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    binary, scenario = sys.argv[1], sys.argv[2]
    if scenario == "open_streams":
        stream_flood(binary, "open")
    elif scenario == "rapid_reset":
        stream_flood(binary, "reset")
    elif scenario == "connection_flood":
        connection_flood(binary)
    else:
        fail("unknown scenario " + scenario)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
