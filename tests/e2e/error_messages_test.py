"""The errors a newcomer meets first say what to do, naming the flag:
identityctl against no server, a plaintext identityctl against a TLS
server (and the reverse), identityctl's TLS flags named as spelled, a
second identityd on a data directory in use, `identityd --help`.

    error_messages_test.py IDENTITYD IDENTITYCTL SOURCE_DIR
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

IDENTITYD, IDENTITYCTL, SOURCE_DIR = map(os.path.abspath, sys.argv[1:4])
UNREACHABLE, USAGE = 3, 2


def free_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Identityd:
    """identityd on 127.0.0.1:0 over `data_dir`, until stop()."""

    def __init__(self, work, data_dir, extra=()):
        self.log_path = os.path.join(work, f"identityd-{time.time_ns()}.log")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [IDENTITYD, "--listen=127.0.0.1:0", "--data_dir=" + data_dir,
             "--master_key_file=" + os.path.join(work, "master.key"),
             *extra],
            stdout=subprocess.DEVNULL, stderr=self.log_file)
        self.port = None
        for _ in range(2000):
            match = re.search(r'"event":"serving".*?"port":"(\d+)"',
                              self.log())
            if match:
                self.port = int(match[1])
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.01)
        self.stop()
        raise RuntimeError("identityd did not start:\n" + self.log())

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(30)
        self.log_file.close()


class ErrorMessagesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp()
        cls.certs = os.path.join(cls.work, "certs")
        subprocess.run([os.path.join(SOURCE_DIR, "deploy/dev-certs.sh"),
                        cls.certs], check=True, capture_output=True)
        cls.plaintext = Identityd(cls.work, os.path.join(cls.work, "data"))
        tls_work = os.path.join(cls.work, "tls")
        os.mkdir(tls_work)
        cls.tls = Identityd(tls_work, os.path.join(tls_work, "data"), [
            "--tls_cert=" + os.path.join(cls.certs, "server.pem"),
            "--tls_key=" + os.path.join(cls.certs, "server.key")])

    @classmethod
    def tearDownClass(cls):
        cls.plaintext.stop()
        cls.tls.stop()
        shutil.rmtree(cls.work)

    def ctl(self, *args):
        done = subprocess.run(
            [IDENTITYCTL, "--session-file",
             os.path.join(self.work, "session"), "--timeout", "10s", *args],
            capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL, start_new_session=True,
            env={k: v for k, v in os.environ.items() if k != "GRPC_VERBOSITY"})
        return done.returncode, done.stdout, done.stderr

    def test_no_server_there_asks_whether_identityd_runs_and_names_server(self):
        address = f"127.0.0.1:{free_port()}"
        code, _, err = self.ctl("--server", address, "health")
        self.assertEqual(code, UNREACHABLE, err)
        self.assertIn(f"cannot reach identityd at {address}: is identityd "
                      "running there?", err)
        self.assertIn("--server", err)

    def test_plaintext_client_against_tls_server_says_to_pass_tls_ca(self):
        code, _, err = self.ctl("--server", f"127.0.0.1:{self.tls.port}",
                                "health")
        self.assertEqual(code, UNREACHABLE, err)
        self.assertIn("if identityd serves TLS, pass --tls-ca", err)
        # And with the flag it works.
        code, out, err = self.ctl(
            "--server", f"127.0.0.1:{self.tls.port}", "--tls-ca",
            os.path.join(self.certs, "ca.pem"), "health")
        self.assertEqual((code, out), (0, "SERVING\n"), err)

    def test_tls_client_against_plaintext_server_says_to_drop_tls_ca(self):
        code, _, err = self.ctl(
            "--server", f"127.0.0.1:{self.plaintext.port}", "--tls-ca",
            os.path.join(self.certs, "ca.pem"), "health")
        self.assertEqual(code, UNREACHABLE, err)
        self.assertIn("if identityd serves plaintext, drop --tls-ca", err)
        # Only identityctl's explanation, not gRPC's log line before it.
        self.assertNotIn("Handshake failed with fatal error", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_tls_flags_are_named_as_spelled(self):
        server = ("--server", f"127.0.0.1:{self.plaintext.port}")
        cases = [
            (("--tls-cert", "client.pem"), "--tls-cert needs --tls-ca"),
            (("--tls-ca", os.path.join(self.work, "missing.pem")),
             "cannot read --tls-ca"),
            (("--tls-ca", os.path.join(self.certs, "ca.pem"), "--tls-cert",
              os.path.join(self.certs, "client.pem")),
             "--tls-cert and --tls-key go together"),
        ]
        for flags, message in cases:
            code, _, err = self.ctl(*server, *flags, "health")
            self.assertEqual(code, USAGE, err)
            self.assertIn(message, err)
            self.assertNotIn("--tls_", err)  # identityd's spelling, not ours

    def test_second_identityd_on_the_same_data_dir_names_it(self):
        data_dir = os.path.join(self.work, "data")
        done = subprocess.run(
            [IDENTITYD, "--listen=127.0.0.1:0", "--data_dir=" + data_dir,
             "--master_key_file=" + os.path.join(self.work, "master.key")],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn(f"another identityd is using {data_dir}", done.stderr)
        self.assertNotIn("While lock file", done.stderr)
        # The first one is untouched.
        code, out, err = self.ctl("--server",
                                  f"127.0.0.1:{self.plaintext.port}", "health")
        self.assertEqual((code, out), (0, "SERVING\n"), err)

    def test_identityd_help_exits_zero_and_lists_its_flags(self):
        done = subprocess.run([IDENTITYD, "--help"], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        for flag in ("--listen", "--data_dir", "--master_key_file",
                     "--tls_cert", "--notify_outbox"):
            self.assertIn(flag, done.stdout)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
