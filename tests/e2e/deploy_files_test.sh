#!/usr/bin/env bash
# Checks the files under deploy/ that the tests cannot run for real:
# identityd starts with the example flagfile; the systemd unit passes
# `systemd-analyze verify` (where systemd-analyze exists); the Kubernetes
# manifests parse and hold what they promise.
#
#   tests/e2e/deploy_files_test.sh IDENTITYD
set -euo pipefail
identityd="$1"
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
/usr/bin/python3 - "$src/deploy/kubernetes/identityd.yaml" <<'PY'
import sys
import yaml

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
assert set(kinds) == {"Service", "StatefulSet", "Secret"}, set(kinds)
sts = kinds["StatefulSet"]
assert sts["spec"]["replicas"] == 1, "the embedded store is single-writer"
container = sts["spec"]["template"]["spec"]["containers"][0]
assert container["readinessProbe"]["grpc"]["port"] == 50051
assert container["livenessProbe"]["grpc"]["port"] == 50051
args = " ".join(container["args"])
assert "--master_key_file=/run/secrets/identity/master.key" in args
assert "--data_dir=/var/lib/identity" in args
mounts = {m["name"]: m for m in container["volumeMounts"]}
assert mounts["kek"]["readOnly"] is True
assert mounts["data"]["mountPath"] == "/var/lib/identity"
claim = sts["spec"]["volumeClaimTemplates"][0]
assert claim["metadata"]["name"] == "data"
assert kinds["Service"]["spec"]["ports"][0]["port"] == 50051
print("kubernetes: %d documents parse; probes, secret and volume wired" % len(docs))
PY
