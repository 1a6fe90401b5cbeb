#!/usr/bin/python3
"""identityd against hostile networks: HTTP/2 stream floods, rapid reset
(CVE-2023-44487) and connection floods past RLIMIT_NOFILE.

  hostile_network_test.py IDENTITYD SCENARIO

SCENARIO is one of open_streams, rapid_reset, connection_flood,
open_streams_tls, rapid_reset_tls, tls_front_door, tls_handshake_flood.
Each starts its own
identityd on 127.0.0.1:0 with default flags (and, for the connection flood,
a low descriptor limit set for the child only; for the _tls ones, TLS or
mTLS with certificates from deploy/dev-certs.sh), attacks it with
tests/e2e/raw_http2.py or plain TCP, and asserts:
- open_streams / rapid_reset (plaintext, or over TLS without a client CA,
  where anyone may connect): from one connection
  and from eight, the child's RSS (/proc/<pid>/status) stays under 512 MiB
  (the Kubernetes manifest's limit), a Health check made meanwhile on its
  own connection succeeds every time, and RSS is back within 64 MiB of
  where it started after the flood;
- tls_front_door: ALPN without h2 is refused, TLS 1.2 or newer with h2 is
  what a client gets, a handshake that never finishes is dropped after
  --tls_handshake_timeout, a service principal's certificate acts as the
  service through the relay while headers that claim a certificate or an
  address change nothing, and gRPC listens on no port: the only other
  listener is the relay's private one, which serves no call;
- open_streams_private_port: the open-streams flood aimed at the relay's
  private loopback listener (the one a local user finds with ss -ltn)
  instead of --listen: every connection is closed unread, RSS stays within
  64 MiB of where it started, and a Health check meanwhile succeeds;
- tls_handshake_flood: while 4 processes do full TLS handshakes, calls on an
  established connection keep succeeding (latency printed beside a
  baseline from the same run);
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
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_http2  # noqa: E402

import grpc  # noqa: E402  (Debian's python3-grpcio)

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

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


class Certificates:
    """deploy/dev-certs.sh's CA, server and client (ci-service) in `work`,
    and a client of another CA."""

    def __init__(self, work):
        self.dir = os.path.join(work, "certs")
        script = os.path.join(SOURCE_DIR, "deploy", "dev-certs.sh")
        for where in (self.dir, os.path.join(self.dir, "other")):
            subprocess.run([script, where, "ci-service"], check=True,
                           stdout=subprocess.DEVNULL)

    def path(self, name):
        return os.path.join(self.dir, name)

    def server_flags(self, principals_file=None):
        """TLS; with a principals file, mTLS."""
        flags = ["--tls_cert=" + self.path("server.pem"),
                 "--tls_key=" + self.path("server.key")]
        if principals_file:
            flags += ["--tls_client_ca=" + self.path("ca.pem"),
                      "--tls_client_principals=" + principals_file]
        return flags

    def channel_credentials(self, client="client"):
        """Client credentials; client=None: no client certificate."""
        def read(name):
            with open(self.path(name), "rb") as f:
                return f.read()
        if client is None:
            return grpc.ssl_channel_credentials(
                root_certificates=read("ca.pem"))
        return grpc.ssl_channel_credentials(
            root_certificates=read("ca.pem"),
            private_key=read(client + ".key"),
            certificate_chain=read(client + ".pem"))

    def ssl_context(self, client="client"):
        if client is None:
            return raw_http2.tls_context(self.path("ca.pem"))
        return raw_http2.tls_context(self.path("ca.pem"),
                                     self.path(client + ".pem"),
                                     self.path(client + ".key"))


class Identityd:
    def __init__(self, binary, work, nofile=None, extra=(), certs=None,
                 mutual=False):
        self.work = work
        self.certs = certs
        # The client certificate this test's own clients present.
        self.client = "client" if mutual else None
        if certs is not None:
            principals = None
            if mutual:
                principals = os.path.join(work, "principals")
                with open(principals, "w") as f:
                    f.write("ci-service admin\n")
            extra = certs.server_flags(principals) + list(extra)
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

    def memory_detail(self):
        """Where the RSS is, for a failure message: huge pages, threads."""
        wanted = ("Rss:", "Anonymous:", "AnonHugePages:", "Threads:")
        found = []
        for name in ("smaps_rollup", "status"):
            try:
                with open("/proc/%d/%s" % (self.process.pid, name)) as f:
                    found += [" ".join(line.split()) for line in f
                              if line.startswith(wanted)]
            except OSError:
                pass
        return "; ".join(found)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()[-20000:]

    def channel(self, port=None, credentials=None):
        """A channel to the listener (or `port`), over mTLS if served so."""
        target = "127.0.0.1:%d" % (port or self.port)
        if credentials is None and self.certs is not None:
            credentials = self.certs.channel_credentials(self.client)
        if credentials is None:
            return grpc.insecure_channel(target)
        return grpc.secure_channel(target, credentials)

    def ssl_context(self):
        if self.certs is None:
            return None
        return self.certs.ssl_context(self.client)

    def listening_ports(self):
        """The TCP ports the child listens on at 127.0.0.1 (/proc)."""
        inodes = set()
        fd_dir = "/proc/%d/fd" % self.process.pid
        for name in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, name))
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = []
        # gRPC listens on 127.0.0.1 through an IPv6 socket (v4-mapped).
        for table, loopback in (
                ("tcp", "0100007F:"),
                ("tcp6", "0000000000000000FFFF00000100007F:")):
            with open("/proc/%d/net/%s" % (self.process.pid, table)) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if (state == "0A" and local.startswith(loopback) and
                            inode in inodes):
                        ports.append(int(local.split(":")[1], 16))
        return ports

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


def health_check(server, timeout=2.0):
    """grpc.health.v1.Health/Check on a fresh channel; True if SERVING."""
    with server.channel() as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        try:
            # HealthCheckResponse{status: SERVING} is field 1 = 1.
            return check(b"", timeout=timeout) == b"\x08\x01"
        except grpc.RpcError:
            return False


def proto_string(field, text):
    data = text.encode()
    return bytes([field << 3 | 2, len(data)]) + data


def basic_admin():
    import base64
    token = base64.b64encode(("admin:" + ADMIN_PASSWORD).encode()).decode()
    return ("authorization", "Basic " + token)


def create_user(server, name, timeout=5.0):
    """UserService/CreateUser as the bootstrap admin; the status code."""
    request = (proto_string(1, name) +
               proto_string(2, "password-of-" + name))
    with server.channel() as channel:
        call = channel.unary_unary("/identity.v1.UserService/CreateUser")
        try:
            call(request, timeout=timeout, metadata=[basic_admin()])
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()


def stream_flood(binary, kind, tls=False, private_port=False):
    work = tempfile.mkdtemp(prefix="hostile-network-")
    server = Identityd(binary, work,
                       certs=Certificates(work) if tls else None)
    try:
        if not health_check(server, timeout=10):
            fail("no Health answer before the flood")
        port = server.port
        if private_port:
            others = [p for p in server.listening_ports() if p != server.port]
            if len(others) != 1:
                fail("expected one listener besides --listen (the relay's "
                     "private one), found %s" % others)
            port = others[0]
        base = server.rss_mib()
        print("  at base: " + server.memory_detail(), flush=True)
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
                    ok = health_check(server)
                    checks["ok" if ok else "failed"] += 1
                    time.sleep(0.25)

            threads = [threading.Thread(target=sample),
                       threading.Thread(target=probe)]
            for t in threads:
                t.start()
            sent = raw_http2.flood(port, kind, FLOOD_SECONDS,
                                   connections=connections,
                                   tls=None if private_port
                                   else server.ssl_context())
            # Work gRPC had queued keeps running after the sockets close:
            # keep sampling a while.
            time.sleep(2)
            stop.set()
            for t in threads:
                t.join(timeout=10)
            print("%s flood%s, %d connection(s): %d streams in %.0f s, RSS "
                  "base %.0f MiB, peak %.0f MiB; Health %d ok, %d failed" %
                  (kind, " over TLS" if tls else
                   " on the private port %d" % port if private_port else "",
                   connections, sent,
                   FLOOD_SECONDS, base, peak[0],
                   checks["ok"], checks["failed"]), flush=True)
            if server.process.poll() is not None:
                fail("identityd exited during the flood: " + server.read_log())
            if peak[0] >= RSS_LIMIT_MIB:
                fail("RSS reached %.0f MiB (limit %d): %s" %
                     (peak[0], RSS_LIMIT_MIB, server.memory_detail()))
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
                     "tolerance %d): %s" % (after, base, RSS_TOLERANCE_MIB,
                                           server.memory_detail()))
        if create_user(server, "after-flood") != grpc.StatusCode.OK:
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
            if health_check(server, timeout=1):
                served = True
                break
        waited = time.monotonic() - ended
        print("  new client served %.2f s after the flood ended" % waited,
              flush=True)
        if not served:
            fail("no new client was served within 5 s after the flood: " +
                 server.read_log())
        code = create_user(server, "after-connection-flood")
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


def issue_client_certificate(certs, name):
    """A client certificate for `name` from the dev CA (as dev-certs.sh
    issues them), for a client that is no service principal."""
    d = certs.dir
    subprocess.run(
        ["openssl", "req", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-sha256",
         "-subj", "/CN=" + name, "-keyout", os.path.join(d, name + ".key"),
         "-out", os.path.join(d, name + ".csr")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("subjectAltName=DNS:%s\nextendedKeyUsage=clientAuth\n" % name)
    subprocess.run(
        ["openssl", "x509", "-req", "-in", os.path.join(d, name + ".csr"),
         "-CA", certs.path("ca.pem"), "-CAkey", certs.path("ca.key"),
         "-CAcreateserial", "-days", "2", "-sha256",
         "-extfile", os.path.join(d, name + ".ext"),
         "-out", os.path.join(d, name + ".pem")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def list_keys(channel, user, metadata=(), timeout=5.0):
    """AccessKeyService/ListAccessKeys for `user`; the status code."""
    call = channel.unary_unary("/identity.v1.AccessKeyService/ListAccessKeys")
    try:
        call(proto_string(1, user), timeout=timeout, metadata=list(metadata))
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def tls_handshake(port, context):
    """A TLS handshake to `port`; (version, ALPN) or the error's text."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.version(), tls.selected_alpn_protocol()
    except (ssl.SSLError, OSError) as error:
        return str(error)


def tls_front_door(binary):
    work = tempfile.mkdtemp(prefix="hostile-network-")
    certs = Certificates(work)
    issue_client_certificate(certs, "intruder")
    server = Identityd(binary, work, certs=certs, mutual=True,
                       extra=["--tls_handshake_timeout=1s"])
    try:
        # TLS 1.2 or newer, ALPN h2, and nothing else.
        got = tls_handshake(server.port, certs.ssl_context())
        print("handshake with ALPN h2: %s" % (got,), flush=True)
        if got not in (("TLSv1.3", "h2"), ("TLSv1.2", "h2")):
            fail("a client offering h2 got %s" % (got,))
        tls12 = certs.ssl_context()
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        got = tls_handshake(server.port, tls12)
        print("handshake capped at TLS 1.2: %s" % (got,), flush=True)
        if got != ("TLSv1.2", "h2"):
            fail("a TLS 1.2 client got %s" % (got,))
        http11 = certs.ssl_context()
        http11.set_alpn_protocols(["http/1.1"])
        got = tls_handshake(server.port, http11)
        print("handshake offering only http/1.1: %s" % (got,), flush=True)
        if isinstance(got, tuple):
            fail("a client without h2 completed a handshake: %s" % (got,))
        old = certs.ssl_context()
        with warnings.catch_warnings():  # deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
        got = tls_handshake(server.port, old)
        print("handshake capped at TLS 1.1: %s" % (got,), flush=True)
        if isinstance(got, tuple):
            fail("a TLS 1.1 client completed a handshake: %s" % (got,))

        # A handshake that never comes holds its descriptor ~1 s.
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port),
                                      timeout=10) as silent:
            try:
                while silent.recv(4096):
                    pass
            except OSError:
                pass
        held = time.monotonic() - started
        print("silent handshake dropped after %.2f s "
              "(--tls_handshake_timeout=1s)" % held, flush=True)
        if not 0.8 <= held <= 5:
            fail("a silent handshake was held %.2f s" % held)

        # The service principal's certificate is the credential, through
        # the relay, as it was when gRPC did TLS itself.
        with server.channel() as channel:
            code = list_keys(channel, "admin")
        print("ci-service certificate, no password: %s" % code, flush=True)
        if code != grpc.StatusCode.OK:
            fail("the service principal was refused: %s" % code)
        if create_user(server, "made-over-mtls") != grpc.StatusCode.OK:
            fail("CreateUser over mTLS with the admin's password failed")

        # Claims in headers change nothing: a certificate of the same CA
        # that names no service stays no service.
        spoof = [("x-forwarded-client-cert",
                  "By=spiffe://x;Subject=\"CN=ci-service\";DNS=ci-service"),
                 ("x-ssl-client-s-dn", "CN=ci-service"),
                 ("x-client-certificate-cn", "ci-service"),
                 ("x-forwarded-for", "10.1.2.3"),
                 ("x-real-ip", "10.1.2.3")]
        with server.channel(credentials=certs.channel_credentials(
                "intruder")) as channel:
            code = list_keys(channel, "admin", metadata=spoof)
        print("intruder certificate with spoofing headers: %s" % code,
              flush=True)
        if code != grpc.StatusCode.UNAUTHENTICATED:
            fail("a certificate that names no service got %s" % code)
        with server.channel(credentials=grpc.ssl_channel_credentials(
                root_certificates=open(certs.path("ca.pem"), "rb").read(),
                private_key=open(certs.path("other/client.key"), "rb").read(),
                certificate_chain=open(certs.path("other/client.pem"),
                                       "rb").read())) as channel:
            code = list_keys(channel, "admin")
        print("ci-service certificate of another CA: %s" % code, flush=True)
        if code != grpc.StatusCode.UNAVAILABLE:
            fail("a certificate of another CA got %s" % code)

        # gRPC listens on no port; the relay's private listener (plaintext,
        # loopback) serves no call: not with the admin's password, not with
        # headers that claim a certificate.
        backdoors = [p for p in server.listening_ports() if p != server.port]
        if len(backdoors) != 1:
            fail("expected one listener besides --listen (the relay's "
                 "private one), found %s" % backdoors)
        for port in backdoors:
            with grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
                code = list_keys(channel, "admin",
                                 metadata=[basic_admin()] + spoof)
            print("the relay's private port %d, admin password and spoofing "
                  "headers: %s" % (port, code), flush=True)
            if code != grpc.StatusCode.UNAVAILABLE:
                fail("a call on the relay's private port got %s" % code)
        if server.process.poll() is not None:
            fail("identityd exited: " + server.read_log())
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def health_latencies(channel, seconds):
    """Health/Check on one established channel for `seconds`; the
    latencies in ms of the calls that succeeded, and how many failed."""
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    latencies, failed = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            check(b"", timeout=2)
            latencies.append((time.monotonic() - started) * 1000)
        except grpc.RpcError:
            failed += 1
        time.sleep(0.01)
    return latencies, failed


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def handshake_flood(binary):
    """Full TLS handshakes from 4 processes, as fast as they go, while one
    client calls Health on a connection it already holds: its calls keep
    succeeding. Prints its latency beside a baseline from the same run."""
    work = tempfile.mkdtemp(prefix="hostile-network-")
    certs = Certificates(work)
    server = Identityd(binary, work, certs=certs)
    try:
        with server.channel() as channel:
            if health_latencies(channel, 0.5)[1] > 0:
                fail("no Health answer before the flood")
            base, base_failed = health_latencies(channel, FLOOD_SECONDS)
            # The handshakers are other processes: in this one they would
            # hold the GIL the probe's client needs.
            flooders = [subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "-",
                 "handshake_client", str(server.port), certs.path("ca.pem"),
                 str(FLOOD_SECONDS + 1)],
                stdout=subprocess.PIPE, text=True) for _ in range(4)]
            time.sleep(0.5)
            during, failed = health_latencies(channel, FLOOD_SECONDS)
            done = {"handshakes": 0, "refused": 0}
            for flooder in flooders:
                out, _ = flooder.communicate(timeout=30)
                ok, refused = out.split()
                done["handshakes"] += int(ok)
                done["refused"] += int(refused)
        print("handshake flood: %d handshakes in %.0f s (%d refused or "
              "failed); Health on an established connection: baseline p50 "
              "%.1f ms p99 %.1f ms (%d calls), during the flood p50 %.1f ms "
              "p99 %.1f ms (%d calls, %d failed); p50 ratio %.1fx" %
              (done["handshakes"], FLOOD_SECONDS, done["refused"],
               percentile(base, 0.5), percentile(base, 0.99), len(base),
               percentile(during, 0.5) if during else 0,
               percentile(during, 0.99) if during else 0, len(during), failed,
               (percentile(during, 0.5) / percentile(base, 0.5))
               if during else 0), flush=True)
        if base_failed or failed or not during:
            fail("Health calls failed: %d before, %d during the flood" %
                 (base_failed, failed))
        if done["handshakes"] == 0:
            fail("no handshake completed during the flood")
        if server.process.poll() is not None:
            fail("identityd exited: " + server.read_log())
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def handshake_client(port, ca_file, seconds):
    """One flooding process: handshakes until `seconds` pass; prints how
    many completed and how many did not."""
    context = raw_http2.tls_context(ca_file)
    ok = refused = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if isinstance(tls_handshake(port, context), tuple):
            ok += 1
        else:
            refused += 1
    print(ok, refused)


def main():
    binary, scenario = sys.argv[1], sys.argv[2]
    if scenario == "handshake_client":  # a child of tls_handshake_flood
        handshake_client(int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
        return
    if scenario == "open_streams":
        stream_flood(binary, "open")
    elif scenario == "rapid_reset":
        stream_flood(binary, "reset")
    elif scenario == "connection_flood":
        connection_flood(binary)
    elif scenario == "open_streams_private_port":
        stream_flood(binary, "open", private_port=True)
    elif scenario == "open_streams_tls":
        stream_flood(binary, "open", tls=True)
    elif scenario == "rapid_reset_tls":
        stream_flood(binary, "reset", tls=True)
    elif scenario == "tls_front_door":
        tls_front_door(binary)
    elif scenario == "tls_handshake_flood":
        handshake_flood(binary)
    else:
        fail("unknown scenario " + scenario)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
