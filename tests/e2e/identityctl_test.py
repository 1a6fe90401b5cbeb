"""identityctl driven as a user drives it: a subprocess against a real
identityd (started here on a temp dir), checking what it prints, the files
it writes and the exit codes scripts rely on.

    identityctl_test.py IDENTITYD IDENTITYCTL SOURCE_DIR

Failures never print a secret: checks for one report only that it was found.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import pty
import re
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

IDENTITYD, IDENTITYCTL, SOURCE_DIR = sys.argv[1:4]
ADMIN_PASSWORD = "ctl-admin-password-1"
HEADER = "User Name,Access Key Id,Secret Access Key"

# Exit codes, as documented by `identityctl help`.
OK, USAGE, UNREACHABLE, UNAUTHENTICATED, DENIED, NOT_FOUND = 0, 2, 3, 4, 5, 6
EXISTS, KEY_LIMIT, CODE_REQUIRED, LOCKED = 7, 8, 9, 10


def totp(secret_base32, step):
    """RFC 6238 (SHA-1, 6 digits) for time step `step`."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1000000:06d}"


class Identityd:
    """identityd on 127.0.0.1:0 over `work`, until stop()."""

    def __init__(self, work, extra=()):
        self.log_path = os.path.join(work, "identityd.log")
        self.outbox = os.path.join(work, "outbox.jsonl")
        self.log_file = open(self.log_path, "w")
        with open(os.path.join(work, "admin.pw"), "w") as f:
            f.write(ADMIN_PASSWORD + "\n")
        self.process = subprocess.Popen(
            [IDENTITYD, "--listen=127.0.0.1:0",
             "--data_dir=" + os.path.join(work, "data"),
             "--master_key_file=" + os.path.join(work, "master.key"),
             "--bootstrap_password_file=" + os.path.join(work, "admin.pw"),
             "--notify_outbox=" + self.outbox, "--lockout_threshold=3",
             "--worker_threads=2", *extra],
            stdout=subprocess.DEVNULL, stderr=self.log_file)
        self.port = None
        for _ in range(2000):
            match = re.search(r'"event":"serving".*?"port":"(\d+)"',
                              self.log())
            if match:
                self.port = int(match.group(1))
                break
            time.sleep(0.01)
        if self.port is None:
            self.stop()
            raise RuntimeError("identityd did not start")

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def last_code(self):
        with open(self.outbox) as f:
            last = f.read().strip().splitlines()[-1]
        return re.search(r"code is (\d{6})", json.loads(last)["message"])[1]

    def stop(self):
        self.process.terminate()
        self.process.wait(30)
        self.log_file.close()


class IdentityctlTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp()
        cls.server = Identityd(cls.work)
        cls.admin_pw = cls.write("admin.pw", ADMIN_PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.work)

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.work, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        return path

    def setUp(self):
        # Each test in its own directory (credentials.csv lands in the
        # working directory) with its own session file.
        self.dir = tempfile.mkdtemp(dir=self.work)

    def ctl(self, *args, server=None):
        """Runs identityctl; returns (exit code, stdout, stderr)."""
        done = subprocess.run(
            [IDENTITYCTL, "--server", server or f"127.0.0.1:{self.server.port}",
             "--session-file", os.path.join(self.dir, "session"), *args],
            cwd=self.dir, capture_output=True, text=True, timeout=60,
            # No controlling terminal, even when ctest runs in one: these
            # are the runs of a script, which identityctl never prompts.
            stdin=subprocess.DEVNULL, start_new_session=True)
        return done.returncode, done.stdout, done.stderr

    def admin(self, *args):
        return self.ctl("--user", "admin", "--password-file", self.admin_pw,
                        *args)

    def add_user(self, name, password):
        path = self.write(f"{name}.pw", password)
        code, _, err = self.admin("user", "add", name, "--new-password-file",
                                  path)
        self.assertEqual(code, OK, err)
        return path

    def read_csv(self, name="credentials.csv"):
        with open(os.path.join(self.dir, name)) as f:
            return f.read().splitlines()

    def assert_no_secret(self, secret, *texts):
        # Deliberately not assertNotIn: its message would print the secret.
        self.assertFalse(any(secret in text for text in texts),
                         "a secret appeared in identityctl's output")

    def test_create_key_writes_credentials_csv_once_with_mode_0600(self):
        pw = self.add_user("carol", "carol-password-1")
        code, out, err = self.ctl("--user", "carol", "--password-file", pw,
                                  "create-key", "--description", "ci")
        self.assertEqual(code, OK, err)
        lines = self.read_csv()
        self.assertEqual(lines[0], HEADER)
        user, key_id, secret = lines[1].split(",")
        self.assertEqual(user, "carol")
        self.assertRegex(key_id, r"^[A-Z0-9]{20}$")
        self.assertEqual(len(secret), 40)
        mode = stat.S_IMODE(os.stat(os.path.join(self.dir,
                                                 "credentials.csv")).st_mode)
        self.assertEqual(mode, 0o600)
        self.assertIn(key_id, out)
        self.assert_no_secret(secret, out, err, self.server.log())

        # An existing file is not overwritten, and no key is made for it.
        code, _, err = self.ctl("--user", "carol", "--password-file", pw,
                                "create-key")
        self.assertEqual(code, EXISTS)
        self.assertIn("already exists", err)
        self.assertEqual(self.read_csv()[1].split(",")[1], key_id)
        code, out, _ = self.ctl("--user", "carol", "--password-file", pw,
                                "list-keys", "--json")
        self.assertEqual(len(json.loads(out)["access_keys"]), 1)

        # --force replaces it with the new key.
        code, _, err = self.ctl("--user", "carol", "--password-file", pw,
                                "create-key", "--force")
        self.assertEqual(code, OK, err)
        self.assertNotEqual(self.read_csv()[1].split(",")[1], key_id)

    def test_third_key_exits_with_the_limit_code(self):
        pw = self.add_user("dave", "dave-password-1")
        for name in ("a.csv", "b.csv"):
            code, _, err = self.ctl("--user", "dave", "--password-file", pw,
                                    "create-key", "--output", name)
            self.assertEqual(code, OK, err)
        code, out, err = self.ctl("--user", "dave", "--password-file", pw,
                                  "create-key", "--output", "c.csv")
        self.assertEqual(code, KEY_LIMIT)
        self.assertIn("access key limit reached", err)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "c.csv")))

    def test_list_update_rotate_and_delete_keys(self):
        pw = self.add_user("erin", "erin-password-1")
        code, out, err = self.ctl("--user", "erin", "--password-file", pw,
                                  "login")
        self.assertEqual(code, OK, err)
        self.assertIn("Signed in as erin", out)
        session = os.path.join(self.dir, "session")
        self.assertEqual(stat.S_IMODE(os.stat(session).st_mode), 0o600)

        # create-key needs the password even with a session.
        code, _, err = self.ctl("--password-file", pw, "create-key")
        self.assertEqual(code, OK, err)
        key_id = self.read_csv()[1].split(",")[1]

        # The rest runs on the saved session: no password given.
        code, out, err = self.ctl("list-keys")
        self.assertEqual(code, OK, err)
        self.assertEqual(out.splitlines()[0].split()[:3],
                         ["ACCESS", "KEY", "ID"])
        self.assertIn(key_id, out)
        self.assertIn("Active", out)

        code, out, err = self.ctl("update-key", key_id, "--status", "inactive")
        self.assertEqual(code, OK, err)
        code, out, _ = self.ctl("list-keys", "--json")
        [listed] = json.loads(out)["access_keys"]
        self.assertEqual(listed["status"], "INACTIVE")
        self.assertFalse(listed["usable"])

        code, out, err = self.ctl("--password-file", pw, "rotate-key", key_id,
                                  "--output", "new.csv")
        self.assertEqual(code, OK, err)
        new_id = self.read_csv("new.csv")[1].split(",")[1]
        code, _, err = self.ctl("delete-key", key_id)
        self.assertEqual(code, OK, err)
        code, out, _ = self.ctl("list-keys", "--json")
        self.assertEqual([k["access_key_id"] for k in
                          json.loads(out)["access_keys"]], [new_id])

        code, _, err = self.ctl("delete-key", key_id)
        self.assertEqual(code, NOT_FOUND, err)

        code, out, err = self.ctl("logout")
        self.assertEqual(code, OK, err)
        self.assertFalse(os.path.exists(session))
        code, _, err = self.ctl("list-keys")
        self.assertEqual(code, UNAUTHENTICATED)
        self.assertIn("login", err)

    def test_user_administration(self):
        pw = self.write("frank.pw", "frank-password-1")
        code, out, err = self.admin("user", "add", "frank", "--display-name",
                                    "Frank", "--new-password-file", pw)
        self.assertEqual(code, OK, err)
        code, out, err = self.admin("user", "add", "frank",
                                    "--new-password-file", pw)
        self.assertEqual(code, EXISTS, err)

        code, out, err = self.admin("user", "list", "--json")
        self.assertEqual(code, OK, err)
        names = [u["user_name"] for u in json.loads(out)["users"]]
        self.assertIn("frank", names)
        code, out, err = self.admin("user", "list")
        self.assertTrue(out.startswith("USER NAME"), out)

        code, out, err = self.admin("user", "update", "frank", "--role",
                                    "admin", "--disable", "--json")
        self.assertEqual(code, OK, err)
        user = json.loads(out)
        self.assertEqual((user["role"], user["enabled"]), ("ADMIN", False))
        code, out, err = self.admin("user", "update", "frank", "--enable")
        self.assertEqual(code, OK, err)

        # An admin sets frank's password; frank then changes his own.
        reset = self.write("frank2.pw", "frank-password-2")
        code, _, err = self.admin("user", "set-password", "frank",
                                  "--new-password-file", reset)
        self.assertEqual(code, OK, err)
        mine = self.write("frank3.pw", "frank-password-3")
        code, _, err = self.ctl("--user", "frank", "--password-file", reset,
                                "user", "set-password", "--new-password-file",
                                mine)
        self.assertEqual(code, OK, err)
        code, out, err = self.ctl("--user", "frank", "--password-file", mine,
                                  "user", "get")
        self.assertEqual(code, OK, err)
        self.assertIn("Frank", out)

        # A plain user may not administer others.
        self.add_user("gina", "gina-password-1")
        code, _, err = self.ctl("--user", "gina", "--password-file",
                                os.path.join(self.work, "gina.pw"), "user",
                                "delete", "frank")
        self.assertEqual(code, DENIED, err)
        code, _, err = self.admin("user", "delete", "frank")
        self.assertEqual(code, OK, err)
        code, _, err = self.admin("user", "get", "frank")
        self.assertEqual(code, NOT_FOUND, err)

    def test_second_factor_code_required_then_accepted(self):
        pw = self.add_user("hana", "hana-password-1")
        code, _, err = self.admin("user", "update", "hana", "--email",
                                  "hana@example.com")
        self.assertEqual(code, OK, err)
        as_hana = ("--user", "hana", "--password-file", pw)
        code, _, err = self.ctl(*as_hana, "create-key")
        self.assertEqual(code, CODE_REQUIRED)
        self.assertIn("send-code", err)
        self.assertFalse(os.path.exists(os.path.join(self.dir,
                                                     "credentials.csv")))
        code, out, err = self.ctl(*as_hana, "send-code", "--channel", "email")
        self.assertEqual(code, OK, err)
        self.assertIn("h***@example.com", out)
        code, _, err = self.ctl(*as_hana, "--code", self.server.last_code(),
                                "create-key")
        self.assertEqual(code, OK, err)
        self.assertEqual(self.read_csv()[0], HEADER)

    def test_mfa_enroll_confirm_then_codes_are_required(self):
        pw = self.add_user("lena", "lena-password-1")
        as_lena = ("--user", "lena", "--password-file", pw)
        code, out, err = self.ctl(*as_lena, "mfa", "enroll")
        self.assertEqual(code, OK, err)
        match = re.search(r"otpauth://totp/\S*[?&]secret=([A-Z2-7]+)", out)
        self.assertTrue(match, "no otpauth URI printed")
        secret = match[1]
        step = int(time.time()) // 30
        code, _, err = self.ctl(*as_lena, "mfa", "confirm",
                                totp(secret, step - 1), totp(secret, step))
        self.assertEqual(code, OK, err)
        code, _, _ = self.ctl(*as_lena, "create-key")
        self.assertEqual(code, CODE_REQUIRED)
        code, _, err = self.ctl(*as_lena, "--code", totp(secret, step + 1),
                                "create-key")
        self.assertEqual(code, OK, err)
        code, out, err = self.admin("user", "get", "lena", "--json")
        self.assertTrue(json.loads(out)["mfa_enabled"])
        code, _, err = self.admin("mfa", "delete", "lena")
        self.assertEqual(code, OK, err)
        self.assert_no_secret(secret, err, self.server.log())

    def test_lockout_exit_code_and_unlock(self):
        pw = self.add_user("ivan", "ivan-password-1")
        wrong = self.write("ivan-wrong.pw", "not-ivans-password")
        for _ in range(3):
            code, _, _ = self.ctl("--user", "ivan", "--password-file", wrong,
                                  "login")
            self.assertEqual(code, UNAUTHENTICATED)
        code, _, err = self.ctl("--user", "ivan", "--password-file", pw,
                                "login")
        self.assertEqual(code, LOCKED)
        self.assertIn("user unlock", err)
        code, _, err = self.admin("user", "unlock", "ivan")
        self.assertEqual(code, OK, err)
        code, _, err = self.ctl("--user", "ivan", "--password-file", pw,
                                "login")
        self.assertEqual(code, OK, err)

    def test_audit_list_shows_what_happened(self):
        self.add_user("jill", "jill-password-1")
        code, out, err = self.admin("audit", "list", "--user-name", "jill",
                                    "--since", "2020-01-01T00:00:00Z",
                                    "--json")
        self.assertEqual(code, OK, err)
        types = [e["type"] for e in json.loads(out)["events"]]
        self.assertIn("USER_CREATED", types)
        code, out, err = self.admin("audit", "list", "--limit", "1")
        self.assertEqual(code, OK, err)
        self.assertEqual(len(out.splitlines()), 2)  # header and one event
        code, _, err = self.admin("audit", "list", "--since", "yesterday")
        self.assertEqual(code, USAGE, err)

    def test_kek_status_and_rewrap(self):
        code, out, err = self.admin("kek", "status")
        self.assertEqual(code, OK, err)
        self.assertRegex(out, r"Sealing KEK: [0-9a-f]{16}\n")
        code, out, err = self.admin("kek", "rewrap", "--dry-run", "--verify",
                                    "--wait")
        self.assertEqual(code, OK, err)
        self.assertIn("Dry run started under sealing KEK", out)
        self.assertIn("No old KEK id is in use", out)
        code, out, err = self.admin("kek", "status")
        self.assertEqual(code, OK, err)
        self.assertIn("finished", out)
        # Starting a run needs an admin, with the password on the call.
        pw = self.add_user("kekuser", "kekuser-password-1")
        code, _, err = self.ctl("--user", "kekuser", "--password-file", pw,
                                "kek", "rewrap")
        self.assertEqual(code, DENIED, err)
        # A saved session is not enough: identityctl asks for the password
        # (the server's PASSWORD_REQUIRED is tested in the service test).
        code, _, err = self.admin("login")
        self.assertEqual(code, OK, err)
        code, _, err = self.ctl("--user", "admin", "kek", "rewrap")
        self.assertEqual(code, USAGE, err)
        self.assertIn("--password-file", err)

    def test_expiring_key_and_graceful_rotation(self):
        pw = self.add_user("kate", "kate-password-1")
        kate = ("--user", "kate", "--password-file", pw)
        code, out, err = self.ctl(*kate, "create-key", "--expires-in", "30d")
        self.assertEqual(code, OK, err)
        self.assertIn("It expires at", out)
        old_id = self.read_csv()[1].split(",")[1]
        code, out, _ = self.ctl(*kate, "list-keys", "--json")
        [key] = json.loads(out)["access_keys"]
        expires = time.mktime(time.strptime(key["expire_time"][:19] + "Z",
                                            "%Y-%m-%dT%H:%M:%SZ"))
        created = time.mktime(time.strptime(key["create_time"][:19] + "Z",
                                            "%Y-%m-%dT%H:%M:%SZ"))
        self.assertAlmostEqual(expires - created, 30 * 86400, delta=2)
        self.assertFalse(key["expired"])
        self.assertTrue(key["usable"])
        for bad in ("0d", "soon", "-5h"):
            self.assertEqual(self.ctl(*kate, "create-key", "--output", "x.csv",
                                      "--expires-in", bad)[0], USAGE, bad)

        # The old key keeps working through the grace period; the server
        # holds the schedule.
        code, out, err = self.ctl(*kate, "rotate-key", old_id, "--output",
                                  "new.csv", "--deactivate-old-after", "7d")
        self.assertEqual(code, OK, err)
        self.assertIn(f"{old_id} stays active until", out)
        code, out, _ = self.ctl(*kate, "list-keys", "--json")
        old = [k for k in json.loads(out)["access_keys"]
               if k["access_key_id"] == old_id][0]
        self.assertEqual(old["status"], "ACTIVE")
        self.assertTrue(old["usable"])
        self.assertTrue(old["deactivate_time"])
        code, out, err = self.ctl(*kate, "list-keys")
        self.assertIn("(until ", out)
        # A status change cancels it.
        code, _, err = self.ctl(*kate, "update-key", old_id, "--status",
                                "active")
        self.assertEqual(code, OK, err)
        code, out, _ = self.ctl(*kate, "list-keys", "--json")
        old = [k for k in json.loads(out)["access_keys"]
               if k["access_key_id"] == old_id][0]
        self.assertNotIn("deactivate_time", old)

    def test_credential_report_csv(self):
        import csv
        import io
        pw = self.add_user("liam", "liam-password-1")
        code, _, err = self.ctl("--user", "liam", "--password-file", pw,
                                "create-key")
        self.assertEqual(code, OK, err)
        key_id = self.read_csv()[1].split(",")[1]
        self.add_user("mia", "mia-password-1")
        # As bytes: text mode would fold the CRLF line ends.
        done = subprocess.run(
            [IDENTITYCTL, "--server", f"127.0.0.1:{self.server.port}",
             "--session-file", os.path.join(self.dir, "session"), "--user",
             "admin", "--password-file", self.admin_pw, "report", "--csv"],
            cwd=self.dir, capture_output=True, timeout=60,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.assertEqual(done.returncode, OK, done.stderr)
        out = done.stdout.decode()
        self.assertTrue(out.endswith("\r\n"))
        self.assertEqual(out.count("\n"), out.count("\r\n"))
        rows = list(csv.reader(io.StringIO(out, newline="")))
        header = rows[0]
        self.assertEqual(header[:3], ["user", "user_id", "user_creation_time"])
        by_user = {}
        for row in rows[1:]:
            self.assertEqual(len(row), len(header))
            by_user.setdefault(row[0], []).append(dict(zip(header, row)))
        [liam] = by_user["liam"]
        self.assertEqual(liam["access_key_id"], key_id)
        self.assertEqual(liam["access_key_status"], "Active")
        self.assertEqual(liam["access_key_age_days"], "0")
        self.assertEqual(liam["access_key_last_used_time"], "N/A")
        self.assertEqual(liam["access_key_expires"], "never")
        self.assertEqual(liam["access_key_usable"], "true")
        self.assertEqual(liam["mfa_active"], "false")
        self.assertNotEqual(liam["password_last_changed"], "N/A")
        [mia] = by_user["mia"]
        self.assertEqual(mia["access_key_id"], "N/A")
        code, out, err = self.admin("report")
        self.assertEqual(code, OK, err)
        self.assertIn(key_id, out)
        # A plain user may not read it.
        code, _, err = self.ctl("--user", "liam", "--password-file", pw,
                                "report", "--csv")
        self.assertEqual(code, DENIED, err)

    def test_max_access_key_age_applies_and_caps(self):
        work = tempfile.mkdtemp()
        try:
            server = Identityd(work, ["--max_access_key_age=48h"])
            try:
                base = [IDENTITYCTL, "--server", f"127.0.0.1:{server.port}",
                        "--session-file", os.path.join(work, "session"),
                        "--user", "admin", "--password-file",
                        os.path.join(work, "admin.pw")]
                run = lambda *args: subprocess.run(
                    base + list(args), cwd=work, capture_output=True,
                    text=True, timeout=60, stdin=subprocess.DEVNULL,
                    start_new_session=True)
                done = run("create-key")
                self.assertEqual(done.returncode, OK, done.stderr)
                done = run("list-keys", "--json")
                [key] = json.loads(done.stdout)["access_keys"]
                self.assertTrue(key["expire_time"])
                done = run("create-key", "--output", "b.csv", "--expires-in",
                           "3d")
                self.assertEqual(done.returncode, 11, done.stderr)
                self.assertIn("--max_access_key_age", done.stderr)
                self.assertFalse(os.path.exists(os.path.join(work, "b.csv")))
            finally:
                server.stop()
        finally:
            shutil.rmtree(work)

    def test_usage_and_connection_errors(self):
        self.assertEqual(self.ctl("no-such-command")[0], USAGE)
        self.assertEqual(self.ctl("list-keys", "--no-such-flag")[0], USAGE)
        self.assertEqual(self.ctl("delete-key")[0], USAGE)
        self.assertEqual(self.ctl("update-key", "AKID")[0], USAGE)
        code, out, _ = self.ctl("help")
        self.assertEqual(code, OK)
        self.assertIn("create-key", out)
        self.assertIn("exit codes", out)
        code, out, err = self.ctl("health")
        self.assertEqual((code, out), (OK, "SERVING\n"), err)
        code, out, err = self.ctl("health", "identity.v1.AccessKeyService")
        self.assertEqual((code, out), (OK, "SERVING\n"), err)
        self.assertEqual(self.ctl("health", "no.such.Service")[0], NOT_FOUND)
        # A password is never taken from a flag's value.
        self.assertEqual(self.ctl("login", "--password", "x")[0], USAGE)
        code, _, err = self.ctl("--user", "admin", "--password-file",
                                self.admin_pw, "--timeout", "3s", "list-keys",
                                server="127.0.0.1:1")
        self.assertEqual(code, UNREACHABLE)
        self.assertIn("cannot reach identityd", err)
        # No terminal and no --password-file: a clear refusal, not a hang.
        code, _, err = self.ctl("--user", "admin", "login")
        self.assertEqual(code, USAGE)
        self.assertIn("give --password-file", err)
        code, _, err = self.admin("user", "add", "nobody")
        self.assertEqual(code, USAGE)
        self.assertIn("give --new-password-file", err)

    def test_password_prompt_does_not_echo(self):
        pw = "kim-password-1"
        self.add_user("kim", pw)
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(self.dir)
            os.execv(IDENTITYCTL, [
                IDENTITYCTL, "--server", f"127.0.0.1:{self.server.port}",
                "--session-file", os.path.join(self.dir, "session"),
                "--user", "kim", "login"])
        seen = b""

        def read_until(marker, deadline):
            nonlocal seen
            while marker not in seen and time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        return
                    if not chunk:
                        return
                    seen += chunk

        read_until(b"Password for kim: ", time.time() + 30)
        self.assertIn(b"Password for kim: ", seen)
        os.write(fd, (pw + "\n").encode())
        read_until(b"Signed in", time.time() + 30)
        read_until(b"\x00never", time.time() + 1)  # drain what is left
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        self.assertEqual(os.waitstatus_to_exitcode(status), OK)
        self.assertIn(b"Signed in as kim", seen)
        self.assert_no_secret(pw.encode(), seen)


    def run_at_terminal(self, args, answers):
        """Runs identityctl on a pty; `answers` maps each prompt (bytes) to
        what is typed there, a callable giving it when asked. Returns
        (exit code, everything it showed)."""
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(self.dir)
            os.execv(IDENTITYCTL, [
                IDENTITYCTL, "--server", f"127.0.0.1:{self.server.port}",
                "--session-file", os.path.join(self.dir, "session"), *args])
        seen, answered = b"", 0
        deadline = time.time() + 60
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            for prompt, answer in answers.items():
                if seen[answered:].rstrip().endswith(prompt.rstrip()):
                    os.write(fd, (answer() + "\n").encode())
                    answered = len(seen)
                    break
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), seen

    def test_code_prompt_offers_to_send_one_then_takes_it(self):
        pw = self.add_user("nina", "nina-password-1")
        code, _, err = self.admin("user", "update", "nina", "--email",
                                  "nina@example.com")
        self.assertEqual(code, OK, err)
        code, seen = self.run_at_terminal(
            ["--user", "nina", "--password-file", pw, "login"],
            {b"[Y/n] ": lambda: "", b"Verification code: ":
             self.server.last_code})
        self.assertEqual(code, OK, seen)
        self.assertIn(b"Sent a code to n***@example.com", seen)
        self.assertIn(b"Signed in as nina", seen)
        self.assert_no_secret(self.server.last_code().encode(), seen)

    def test_code_prompt_declined_takes_a_code_sent_before(self):
        pw = self.add_user("omar", "omar-password-1")
        code, _, err = self.admin("user", "update", "omar", "--email",
                                  "omar@example.com")
        self.assertEqual(code, OK, err)
        as_omar = ("--user", "omar", "--password-file", pw)
        code, _, err = self.ctl(*as_omar, "send-code")
        self.assertEqual(code, OK, err)
        code, seen = self.run_at_terminal(
            [*as_omar, "create-key"],
            {b"[Y/n] ": lambda: "n", b"Verification code: ":
             self.server.last_code})
        self.assertEqual(code, OK, seen)
        self.assertNotIn(b"Sent a code", seen)
        self.assertIn(b"Created access key", seen)
        # A wrong code is asked for once only: it counts toward the lockout.
        os.remove(os.path.join(self.dir, "credentials.csv"))
        code, seen = self.run_at_terminal(
            [*as_omar, "create-key"],
            {b"[Y/n] ": lambda: "n", b"Verification code: ": lambda: "000000"})
        self.assertEqual(code, UNAUTHENTICATED, seen)
        self.assertEqual(seen.count(b"Verification code: "), 1, seen)


class IdentityctlOverMutualTlsTest(unittest.TestCase):
    """--tls-ca, --tls-cert and --tls-key: a service with a client
    certificate mapped to the admin role needs no password."""

    def test_admin_service_certificate(self):
        work = tempfile.mkdtemp()
        try:
            certs = os.path.join(work, "certs")
            subprocess.run([os.path.join(SOURCE_DIR, "deploy/dev-certs.sh"),
                            certs, "ops-robot"], check=True,
                           capture_output=True)
            principals = os.path.join(work, "principals")
            with open(principals, "w") as f:
                f.write("ops-robot admin\n")
            server = Identityd(work, [
                "--tls_cert=" + os.path.join(certs, "server.pem"),
                "--tls_key=" + os.path.join(certs, "server.key"),
                "--tls_client_ca=" + os.path.join(certs, "ca.pem"),
                "--tls_client_principals=" + principals])
            try:
                base = [IDENTITYCTL, "--server", f"127.0.0.1:{server.port}",
                        "--session-file", os.path.join(work, "session"),
                        "--tls-ca", os.path.join(certs, "ca.pem")]
                mtls = base + ["--tls-cert", os.path.join(certs, "client.pem"),
                               "--tls-key", os.path.join(certs, "client.key")]
                done = subprocess.run(mtls + ["user", "list", "--json"],
                                      capture_output=True, text=True,
                                      timeout=60)
                self.assertEqual(done.returncode, OK, done.stderr)
                self.assertIn("admin", [u["user_name"] for u in
                                        json.loads(done.stdout)["users"]])
                done = subprocess.run(mtls + ["health"], capture_output=True,
                                      text=True, timeout=60)
                self.assertEqual(done.returncode, OK, done.stderr)
                # Without the client certificate the server refuses the
                # handshake: unreachable, not a silent fallback.
                done = subprocess.run(
                    base + ["--user", "admin", "--password-file",
                            os.path.join(work, "admin.pw"), "--timeout", "5s",
                            "user", "list"],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(done.returncode, UNREACHABLE, done.stderr)
            finally:
                server.stop()
        finally:
            shutil.rmtree(work)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
