"""Runs the README's walkthrough as written, the way a newcomer would.

    readme_walkthrough_test.py IDENTITYD IDENTITYCTL SOURCE_DIR

Every ```sh block that follows a `<!-- walkthrough -->` line in README.md
is run, command after command, in one bash, in a scratch copy of the
repository's layout (build/service/identityd and identityctl, build/dev/)
against a fresh identityd started with deploy/dev-run.sh's own flags (on a
free port, which $IDENTITY_SERVER hands to identityctl). A person's part is
played through a terminal (a pty): each password is typed at its prompt
(the admin's is the one identityd printed), Enter answers "[Y/n]", and a
verification code is read from build/dev/outbox.jsonl, where the README
says codes land. Lines `#> ...` under a command are what the README shows
it printing ("..." stands for anything on that line): they must appear in
its output, in that order. The test fails when a command exits non-zero,
stops at a prompt nobody can answer, or prints less than the README shows.

The TLS example of deploy/README.md (the blocks after `<!-- tls-walkthrough
-->`) runs the same way: its `./deploy/dev-run.sh FLAGS` line starts
identityd with those flags, and its `--server localhost:50051` is given
identityd's free port.

Nothing secret is printed on failure: passwords, codes and secrets are
masked in the transcript quoted.
"""
import json
import os
import pty
import re
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

IDENTITYD, IDENTITYCTL, SOURCE_DIR = map(os.path.abspath, sys.argv[1:4])
MARKER = "<!-- walkthrough -->"
OUTBOX = "build/dev/outbox.jsonl"  # where the README says codes land
COMMAND_SECONDS = 60


def walkthrough_steps(readme, marker):
    """[(command, [expected output lines])], in the README's order."""
    blocks = re.findall(re.escape(marker) + r"\s*```sh\n(.*?)```", readme,
                        re.S)
    steps = []
    for block in blocks:
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if line.startswith("#>"):
                if not steps:
                    raise ValueError(f"output before any command: {line}")
                steps[-1][1].append(line[2:].strip())
            elif line.strip() and not line.lstrip().startswith("#"):
                command = line
                while command.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    command += "\n" + lines[i]
                steps.append((command, []))
            i += 1
    return blocks, steps


def expected_pattern(line):
    """A README output line as a regex: '...' is anything on that line."""
    parts = [re.escape(p.strip()) for p in line.split("...")]
    return re.compile(r"[^\n]*?".join(parts))


def dev_run_flags():
    """identityd's flags as deploy/dev-run.sh passes them."""
    with open(os.path.join(SOURCE_DIR, "deploy/dev-run.sh")) as f:
        script = f.read()
    tail = script.split("exec build/service/identityd", 1)[1]
    return re.findall(r"(--[a-z_]+=\S+)", tail)


class Terminal:
    """bash reading commands from a pipe, with a pty as its terminal: the
    programs it runs print to the pty and prompt on it (/dev/tty)."""

    def __init__(self, cwd, env):
        read_end, self.commands = os.pipe()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.dup2(read_end, 0)
            os.execve("/bin/bash", ["bash", "--norc", "--noprofile"], env)
        os.close(read_end)
        # The person's shell is interactive and expands aliases; this one
        # reads a pipe, so it is told to.
        os.write(self.commands, b"shopt -s expand_aliases\n")

    def run(self, command, answer):
        """Runs one command; `answer(prompt_match)` types at prompts.
        Returns (exit code or None on timeout, transcript)."""
        os.write(self.commands,
                 (command + "\nprintf '\\n@@rc=%s@@\\n' \"$?\"\n").encode())
        seen = ""
        answered = 0
        deadline = time.time() + COMMAND_SECONDS
        while time.time() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    break
                seen += chunk.decode(errors="replace").replace("\r\n", "\n")
            done = re.search(r"\n@@rc=(\d+)@@\n", seen)
            if done:
                return int(done[1]), seen[:done.start()]
            reply = answer(seen[answered:])
            if reply is not None:
                os.write(self.fd, (reply + "\n").encode())
                answered = len(seen)
        return None, seen

    def close(self):
        os.close(self.commands)
        try:
            os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)


class ReadmeWalkthroughTest(unittest.TestCase):

    def setUp(self):
        self.root = tempfile.mkdtemp()
        # The repository's layout, as the README's paths expect it.
        os.makedirs(os.path.join(self.root, "build/service/identityctl"))
        os.makedirs(os.path.join(self.root, "build/dev"))
        os.makedirs(os.path.join(self.root, "home"))
        os.symlink(IDENTITYD, os.path.join(self.root, "build/service/identityd"))
        os.symlink(IDENTITYCTL, os.path.join(
            self.root, "build/service/identityctl/identityctl"))
        os.symlink(os.path.join(SOURCE_DIR, "deploy"),
                   os.path.join(self.root, "deploy"))
        self.server = None
        self.port = None
        self.passwords = {}
        self.secrets = []
        self.last_new_password = None

    def start_identityd(self, extra_flags=()):
        """identityd as `./deploy/dev-run.sh EXTRA_FLAGS` runs it, on a free
        port instead of 50051."""
        self.server_out = open(os.path.join(self.root, "identityd.out"), "w+")
        self.server_log = open(os.path.join(self.root, "identityd.log"), "w+")
        flags = [f for f in dev_run_flags() if not f.startswith("--listen=")]
        self.server = subprocess.Popen(
            ["build/service/identityd", "--listen=127.0.0.1:0", *flags,
             *extra_flags],
            cwd=self.root, stdout=self.server_out, stderr=self.server_log)
        for _ in range(1000):
            match = re.search(r'"event":"serving".*?"port":"(\d+)"',
                              self.read(self.server_log))
            if match:
                self.port = int(match[1])
                break
            time.sleep(0.01)
        self.assertIsNotNone(self.port, "identityd did not start")
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            shown = re.search(r"^Bootstrap admin .*$", f.read(), re.M)
        self.assertTrue(shown, "the README does not show the first start")
        printed = None
        for _ in range(500):  # printed just after the "serving" log line
            out = self.read(self.server_out)
            printed = re.search(r"shown only now:\s+(\S+)\n", out)
            if printed:
                break
            time.sleep(0.01)
        self.assertTrue(printed, "identityd printed no admin password")
        # (Not assertIn: its message would quote the password.)
        self.assertTrue(shown[0] in out,
                        "identityd's first start differs from the README")
        # What the newcomer reads off the screen and types when asked.
        self.passwords["admin"] = printed[1]
        self.secrets.append(printed[1])

    def tearDown(self):
        if self.server is not None:
            self.server.terminate()
            self.server.wait(30)
            self.server_out.close()
            self.server_log.close()
        shutil.rmtree(self.root)

    @staticmethod
    def read(file):
        file.flush()
        file.seek(0)
        return file.read()

    def last_code(self):
        with open(os.path.join(self.root, OUTBOX)) as f:
            message = json.loads(f.read().splitlines()[-1])["message"]
        code = re.search(r"code is (\d{6})", message)[1]
        self.secrets.append(code)
        return code

    def answer(self, pending):
        """What a person types at the prompt that `pending` ends with."""
        if re.search(r"New password for (\S+): $", pending):
            user = re.search(r"New password for (\S+): $", pending)[1]
            self.last_new_password = f"{user}-{secrets.token_hex(8)}"
            self.passwords[user] = self.last_new_password
            self.secrets.append(self.last_new_password)
            return self.last_new_password
        if re.search(r"Again: $", pending):
            return self.last_new_password
        match = re.search(r"Password for (\S+): $", pending)
        if match:
            return self.passwords.get(match[1], "unknown-password")
        if re.search(r"\[Y/n\] $", pending):
            return ""
        if re.search(r"Verification code: $", pending):
            return self.last_code()
        return None

    def masked(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return re.sub(r"[A-Za-z0-9]{40}", "<40 characters>", text)

    def run_steps(self, steps):
        """Runs each (command, expected lines) at the terminal. A command
        `./deploy/dev-run.sh FLAGS` starts identityd with those flags
        instead (it would build in the repository and hold port 50051);
        an address with port 50051 in a command is given identityd's."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME":
               os.path.join(self.root, "home"), "LANG": "C.UTF-8",
               "TERM": "dumb"}
        terminal = Terminal(self.root, env)

        def start(flags=()):
            self.start_identityd(flags)
            terminal.run(f"export IDENTITY_SERVER=127.0.0.1:{self.port}",
                         self.answer)

        try:
            for command, expected in steps:
                if command.startswith("./deploy/dev-run.sh"):
                    self.assertIsNone(self.server, "identityd runs already")
                    start(re.findall(r"(--[a-z_]+=\S+)", command))
                    continue
                if self.server is None and command.startswith("identityctl "):
                    start()  # as the README's first command started it
                command = command.replace(":50051", f":{self.port}")
                code, transcript = terminal.run(command, self.answer)
                where = (f"README command:\n  {command}\nprinted:\n"
                         f"{self.masked(transcript)}")
                self.assertIsNotNone(code, f"no end within {COMMAND_SECONDS}"
                                     f" s (a prompt nobody answers?)\n{where}")
                self.assertEqual(code, 0, f"exit {code}\n{where}")
                position = 0
                for line in expected:
                    found = expected_pattern(line).search(transcript, position)
                    self.assertTrue(found, f"missing: {line}\n{where}")
                    position = found.end()
                for secret in self.secrets:
                    if not command.startswith("identityctl"):
                        break  # `tail` of the outbox shows a code, as meant
                    # Typed at no-echo prompts: never on the screen.
                    # (Not assertNotIn: its message would quote it.)
                    self.assertFalse(secret in transcript,
                                     "a password or code was echoed")
        finally:
            terminal.close()

    def test_every_command_runs_and_prints_what_the_readme_shows(self):
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            blocks, steps = walkthrough_steps(f.read(), MARKER)
        self.assertTrue(steps, f"no ```sh block after {MARKER} in README.md")
        self.assertIn(OUTBOX, "".join(blocks),
                      "the walkthrough does not say where codes land")
        self.run_steps(steps)
        print(f"README walkthrough: {len(steps)} commands ran as written")

    def test_the_tls_example_of_deploy_readme_runs_as_written(self):
        # The alias the README's walkthrough defined, then the example.
        marker = "<!-- tls-walkthrough -->"
        with open(os.path.join(SOURCE_DIR, "deploy/README.md")) as f:
            _, steps = walkthrough_steps(f.read(), marker)
        self.assertTrue(steps, f"no ```sh block after {marker}")
        alias = ("alias identityctl=build/service/identityctl/identityctl",
                 [])
        self.run_steps([alias, *steps])
        print(f"deploy/README.md TLS example: {len(steps)} commands ran")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
