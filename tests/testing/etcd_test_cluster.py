#!/usr/bin/env python3
"""One 3-member etcd cluster on loopback for a whole ctest run.

ctest runs each GoogleTest case in a process of its own; a test binary that
started its own cluster (tests/testing/etcd_cluster.h) paid a cluster start
per case, about 3 s, 49 times per tree. This script is the setup and
cleanup of a ctest fixture instead: `start DIR` starts the members, waits for
a quorum and writes their client endpoints to DIR/endpoints; tests that
require the fixture find that file through IDENTITY_TEST_ETCD_ENDPOINTS_FILE
and keep to their own key prefixes (tests/testing/store_engines.h). `stop
DIR` ends the members. Tests that kill members start clusters of their own.

The members are given a lifetime limit: if the cleanup never runs (ctest
killed), a watchdog ends them after --lifetime seconds.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

MEMBERS = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_quorum(endpoints):
    env = dict(os.environ, ETCDCTL_API="3")
    result = subprocess.run(
        ["etcdctl", "--endpoints=" + ",".join(endpoints),
         "--command-timeout=1s", "get", "health"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        check=False)
    return result.returncode == 0


def stop_pids(pids):
    # Each was started as the leader of its own process group (session):
    # signal the group, so the watchdog's sleep goes with its shell.
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:  # SIGTERM without a quorum can hang: make sure.
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped by whoever adopted it) answers too.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def start(directory, lifetime):
    os.makedirs(directory, exist_ok=True)
    stop(directory)  # a cluster left by an interrupted run
    client = [free_port() for _ in range(MEMBERS)]
    peer = [free_port() for _ in range(MEMBERS)]
    cluster = ",".join(
        f"m{i}=http://127.0.0.1:{peer[i]}" for i in range(MEMBERS))
    token = f"identity-ctest-{os.getpid()}-{time.time_ns()}"
    pids = []
    for i in range(MEMBERS):
        client_url = f"http://127.0.0.1:{client[i]}"
        peer_url = f"http://127.0.0.1:{peer[i]}"
        log = open(os.path.join(directory, f"m{i}.log"), "wb")
        member = subprocess.Popen(
            ["/usr/bin/etcd", f"--name=m{i}",
             f"--data-dir={os.path.join(directory, f'm{i}')}",
             f"--listen-client-urls={client_url}",
             f"--advertise-client-urls={client_url}",
             f"--listen-peer-urls={peer_url}",
             f"--initial-advertise-peer-urls={peer_url}",
             f"--initial-cluster={cluster}",
             "--initial-cluster-state=new", f"--initial-cluster-token={token}",
             "--heartbeat-interval=50", "--election-timeout=500",
             "--log-level=error", "--logger=zap"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)
        pids.append(member.pid)
    # The watchdog: a detached sleeper that ends the members if no cleanup
    # did by then. Listed first in DIR/pids, so that stop ends it too and
    # it never outlives the members to signal a reused pid.
    watchdog = subprocess.Popen(
        ["/bin/sh", "-c",
         f"sleep {int(lifetime)}; kill -9 {' '.join(map(str, pids))} "
         "2>/dev/null"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(directory, "pids"), "w") as f:
        f.write(" ".join(map(str, [watchdog.pid] + pids)))
    endpoints = [f"127.0.0.1:{port}" for port in client]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if has_quorum(endpoints):
            # Written last: its presence means the cluster is ready.
            path = os.path.join(directory, "endpoints")
            with open(path + ".tmp", "w") as f:
                f.write(",".join(endpoints) + "\n")
            os.rename(path + ".tmp", path)
            print("etcd cluster ready:", ",".join(endpoints))
            return 0
        time.sleep(0.1)
    print("etcd cluster: no quorum within 30 s", file=sys.stderr)
    stop(directory)
    return 1


def stop(directory):
    for name in ("endpoints",):
        try:
            os.remove(os.path.join(directory, name))
        except FileNotFoundError:
            pass
    try:
        with open(os.path.join(directory, "pids")) as f:
            pids = [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return 0
    stop_pids(pids)
    os.remove(os.path.join(directory, "pids"))
    subprocess.run(["rm", "-rf"] + [os.path.join(directory, f"m{i}")
                                    for i in range(MEMBERS)], check=False)
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("directory")
    parser.add_argument("--lifetime", type=int, default=3600)
    args = parser.parse_args()
    if args.action == "start":
        return start(args.directory, args.lifetime)
    return stop(args.directory)


if __name__ == "__main__":
    sys.exit(main())
