#!/usr/bin/env bash
# Checks the files under deploy/ that the tests cannot run for real:
# identityd starts with the example flagfile; the systemd unit passes
# `systemd-analyze verify` (where systemd-analyze exists); the Kubernetes
# manifests parse and hold what they promise, and identityd started with
# the StatefulSet's own arguments (paths and ports moved to a temp dir)
# passes the manifest's own probe commands and serves metrics.
#
#   tests/e2e/deploy_files_test.sh IDENTITYD IDENTITYCTL
set -euo pipefail
identityd="$1"
identityctl="$2"
src="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The example flagfile, with the paths of this machine after it.
head -c 18 /dev/urandom | base64 > "$work/password"
"$identityd" --flagfile="$src/deploy/identityd.flags" --listen=127.0.0.1:0 \
  --data_dir="$work/data" --master_key_file="$work/master.key" \
  --bootstrap_password_file="$work/password" 2> "$work/log" &
pid=$!
for _ in $(seq 1 500); do
  grep -q '"event":"serving"' "$work/log" && break
  sleep 0.01
done
kill -TERM "$pid"
wait "$pid"
grep -q '"event":"serving"' "$work/log" || { cat "$work/log"; exit 1; }
grep -q '"event":"stopped"' "$work/log" || { cat "$work/log"; exit 1; }
echo "flagfile: identityd served and stopped"

# 2. The systemd unit, pointing at the binary just built.
if command -v systemd-analyze > /dev/null; then
  sed "s|/usr/local/bin/identityd|$identityd|" \
    "$src/deploy/systemd/identityd.service" > "$work/identityd.service"
  if ! systemd-analyze verify --man=no "$work/identityd.service" \
      > "$work/verify.log" 2>&1; then
    cat "$work/verify.log"
    exit 1
  fi
  echo "systemd unit: systemd-analyze verify passed"
else
  echo "systemd unit: systemd-analyze not installed, not verified"
fi

# 3. The Kubernetes manifests.
"$src/deploy/dev-certs.sh" "$work/certs" > /dev/null
cp "$work/certs/server.pem" "$work/certs/tls.crt"
cp "$work/certs/server.key" "$work/certs/tls.key"
cp "$work/certs/ca.pem" "$work/certs/ca.crt"
/usr/bin/python3 - "$src/deploy/kubernetes/identityd.yaml" "$identityd" \
  "$identityctl" "$work" <<'PY'
import socket
import subprocess
import sys
import time
import urllib.request

import yaml

manifest, identityd, identityctl, work = sys.argv[1:5]
docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
kinds = {d["kind"]: d for d in docs}
assert set(kinds) == {"Service", "StatefulSet", "Secret"}, set(kinds)
sts = kinds["StatefulSet"]
assert sts["spec"]["replicas"] == 1, "the embedded store is single-writer"
pod = sts["spec"]["template"]
container = pod["spec"]["containers"][0]
args = container["args"]
assert "--master_key_file=/run/secrets/identity/master.key" in args
assert "--data_dir=/var/lib/identity" in args
assert "--insecure" not in args, "plaintext beyond loopback"
mounts = {m["name"]: m for m in container["volumeMounts"]}
assert mounts["kek"]["readOnly"] is True
assert mounts["tls"]["readOnly"] is True
assert mounts["data"]["mountPath"] == "/var/lib/identity"
claim = sts["spec"]["volumeClaimTemplates"][0]
assert claim["metadata"]["name"] == "data"
ports = {p["name"]: p["port"] for p in kinds["Service"]["spec"]["ports"]}
assert ports == {"grpc": 50051, "metrics": 9464}, ports
assert pod["metadata"]["annotations"]["prometheus.io/port"] == "9464"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The container's view of the filesystem and network, moved here.
grpc_port, metrics_port = free_port(), free_port()
with open(f"{work}/bootstrap.password", "w") as f:
    f.write("deploy-check-password\n")


def local(text):
    for old, new in (
            ("/run/secrets/identity-tls/", f"{work}/certs/"),
            ("/run/secrets/identity/", f"{work}/"),
            ("/var/lib/identity", f"{work}/k8s-data"),
            ("/usr/local/bin/identityctl", identityctl),
            ("0.0.0.0:50051", f"127.0.0.1:{grpc_port}"),
            ("127.0.0.1:50051", f"127.0.0.1:{grpc_port}"),
            ("0.0.0.0:9464", f"127.0.0.1:{metrics_port}")):
        text = text.replace(old, new)
    return text


# The KEK is the one step 1 generated at {work}/master.key.
server = subprocess.Popen([identityd, *map(local, args)],
                          stderr=open(f"{work}/k8s.log", "w"))
try:
    for _ in range(500):
        if '"event":"serving"' in open(f"{work}/k8s.log").read():
            break
        time.sleep(0.01)
    for probe in ("readinessProbe", "livenessProbe"):
        command = [local(word) for word in container[probe]["exec"]["command"]]
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, (probe, done.stderr,
                                      open(f"{work}/k8s.log").read())
        assert done.stdout.strip() == "SERVING", done.stdout
    metrics = urllib.request.urlopen(
        f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
    assert "identity_worker_queue_depth" in metrics
finally:
    server.terminate()
    server.wait(30)
print("kubernetes: %d documents parse; identityd runs with the StatefulSet's "
      "args, passes its probes and serves metrics" % len(docs))
PY

# 4. The replicated variant: identityd replicas (a Deployment) on etcd, with
# PodDisruptionBudgets. Two replicas started with the Deployment's own
# arguments against a one-member etcd on loopback (etcd's TLS flags left
# out: that etcd speaks plaintext) both pass the manifest's probes.
/usr/bin/python3 - "$src/deploy/kubernetes/identityd-etcd.yaml" "$identityd" \
  "$identityctl" "$work" <<'PY'
import os
import signal
import socket
import subprocess
import sys
import time

import yaml

manifest, identityd, identityctl, work = sys.argv[1:5]
docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
assert sorted(by_kind) == ["Deployment", "PodDisruptionBudget", "Service",
                           "StatefulSet"], sorted(by_kind)
deployment = by_kind["Deployment"][0]
assert deployment["spec"]["replicas"] >= 2
labels = deployment["spec"]["template"]["metadata"]["labels"]
etcd_sts = by_kind["StatefulSet"][0]
assert etcd_sts["spec"]["replicas"] == 3, "etcd needs 3 members for quorum"
pdbs = {p["metadata"]["name"]: p["spec"] for p in by_kind["PodDisruptionBudget"]}
assert pdbs["identity"]["selector"]["matchLabels"] == labels
assert pdbs["identity"]["minAvailable"] >= 1
etcd_labels = etcd_sts["spec"]["template"]["metadata"]["labels"]
assert pdbs["identity-etcd"]["selector"]["matchLabels"] == etcd_labels
assert pdbs["identity-etcd"]["maxUnavailable"] == 1
etcd_args = etcd_sts["spec"]["template"]["spec"]["containers"][0]["args"][0]
assert "--auto-compaction-retention=" in etcd_args
container = deployment["spec"]["template"]["spec"]["containers"][0]
args = container["args"]
assert not any(a.startswith("--data_dir") for a in args), "no local store"
assert any(a.startswith("--etcd_endpoints=") for a in args)
assert "--insecure" not in args


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


client, peer = free_port(), free_port()
etcd = subprocess.Popen(
    ["/usr/bin/etcd", "--name=deploy", f"--data-dir={work}/etcd",
     f"--listen-client-urls=http://127.0.0.1:{client}",
     f"--advertise-client-urls=http://127.0.0.1:{client}",
     f"--listen-peer-urls=http://127.0.0.1:{peer}",
     f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
     f"--initial-cluster=deploy=http://127.0.0.1:{peer}",
     "--log-level=error", "--logger=zap"],
    stdout=subprocess.DEVNULL, stderr=open(f"{work}/etcd.log", "w"))
servers = []
try:
    for replica in range(2):
        grpc_port, metrics_port = free_port(), free_port()

        def local(text):
            for old, new in (
                    ("/run/secrets/identity-tls/", f"{work}/certs/"),
                    ("/run/secrets/identity/", f"{work}/"),
                    ("/usr/local/bin/identityctl", identityctl),
                    ("0.0.0.0:50051", f"127.0.0.1:{grpc_port}"),
                    ("127.0.0.1:50051", f"127.0.0.1:{grpc_port}"),
                    ("0.0.0.0:9464", f"127.0.0.1:{metrics_port}")):
                text = text.replace(old, new)
            if text.startswith("--etcd_endpoints="):
                text = f"--etcd_endpoints=127.0.0.1:{client}"
            return text

        run_args = [local(a) for a in args
                    if not a.startswith(("--etcd_ca", "--etcd_cert",
                                         "--etcd_key"))]
        log = f"{work}/replica{replica}.log"
        servers.append(subprocess.Popen([identityd, *run_args],
                                        stderr=open(log, "w")))
        for _ in range(1000):
            if '"event":"serving"' in open(log).read():
                break
            if servers[-1].poll() is not None:
                break
            time.sleep(0.02)
        for probe in ("readinessProbe", "livenessProbe"):
            command = [local(w) for w in container[probe]["exec"]["command"]]
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=30)
            assert done.returncode == 0, (probe, done.stderr, open(log).read(),
                                          open(f"{work}/etcd.log").read())
            assert done.stdout.strip() == "SERVING", done.stdout
finally:
    for server in servers:
        server.terminate()
        server.wait(30)
    etcd.send_signal(signal.SIGKILL)
    etcd.wait(10)
print("kubernetes (etcd): %d documents parse; two replicas run with the "
      "Deployment's args on one etcd and pass its probes" % len(docs))
PY
