#!/usr/bin/env bash
# Runs the README's Go lines (the block after <!-- go-client -->) as
# written, from a scratch directory laid out like the repository: they
# build protoc-gen-go from Debian's sources, generate Go stubs from proto/
# and build tests/e2e/go_client, offline in GOPATH mode. The client then
# runs against a real identityd (started here on a temp dir, stopped after).
#
#   tests/e2e/go_client_test.sh IDENTITYD
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

mkdir -p "$work/repo"
ln -s "$src/proto" "$work/repo/proto"
ln -s "$src/tests" "$work/repo/tests"
"$src/tests/e2e/readme_block.sh" "$src/README.md" go-client > "$work/lines.sh"
(cd "$work/repo" && bash -euo pipefail "$work/lines.sh")

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
"$work/repo/gen/go-client" --target="127.0.0.1:$port" \
  --admin_password_file="$work/admin.password"
