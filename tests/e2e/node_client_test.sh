#!/usr/bin/env bash
# Runs tests/e2e/node_client/client.js (@grpc/grpc-js and @grpc/proto-loader,
# installed from its lock file by deploy/install-deps.sh) against a real
# identityd started here on a temp dir, the way the README's Node.js lines
# (the block after <!-- node-client -->) say; checks that those lines are
# the ones install-deps.sh and this test run.
#
#   tests/e2e/node_client_test.sh IDENTITYD
set -euo pipefail
identityd="$1"
src="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

lines=$("$src/tests/e2e/readme_block.sh" "$src/README.md" node-client)
grep -qF 'tests/e2e/node_client"' "$src/deploy/install-deps.sh"
grep -qxF 'npm ci --prefix tests/e2e/node_client --ignore-scripts' <<< "$lines" ||
  { echo "README's node-client block lacks the npm ci line"; exit 1; }
run_line=$(grep '^node tests/e2e/node_client/client.js ' <<< "$lines") ||
  { echo "README's node-client block does not run client.js"; exit 1; }
[[ -d "$src/tests/e2e/node_client/node_modules/@grpc/grpc-js" ]] ||
  { echo "no node_modules: run deploy/install-deps.sh"; exit 1; }

head -c 18 /dev/urandom | base64 > "$work/admin.password"
"$identityd" --listen=127.0.0.1:0 --data_dir="$work/data" \
  --master_key_file="$work/master.key" \
  --bootstrap_password_file="$work/admin.password" 2> "$work/log" &
pid=$!
for _ in $(seq 1 500); do
  grep -q '"event":"serving"' "$work/log" && break
  sleep 0.01
done
port=$(grep -o '"port":"[0-9]*"' "$work/log" | grep -o '[0-9]*')
# The README's line, with this server's address and password file.
run_line=${run_line//127.0.0.1:50051/127.0.0.1:$port}
run_line=${run_line//admin.password/$work/admin.password}
(cd "$src" && bash -euo pipefail -c "$run_line")
