#!/usr/bin/env bash
# Generates Python stubs from proto/ and runs tests/e2e/python_client.py
# against a real identityd (started here on a temp dir and stopped after).
#
#   tests/e2e/python_client_test.sh IDENTITYD
#
# Stubs come from Debian's protoc and grpc_python_plugin, not grpc_tools:
# python3-grpc-tools bundles a protoc too old for proto3 `optional`, which
# UpdateAccessKeyRequest uses.
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

mkdir -p "$work/gen"
protoc -I "$src/proto" -I /usr/share/gocode/src/github.com/gogo/googleapis \
  --python_out="$work/gen" --grpc_out="$work/gen" \
  --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin \
  identity/v1/access_key_service.proto identity/v1/user_service.proto \
  identity/v1/session_service.proto identity/v1/audit_service.proto \
  google/rpc/status.proto google/rpc/error_details.proto

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
PYTHONPATH="$work/gen" /usr/bin/python3 "$src/tests/e2e/python_client.py" \
  --target="127.0.0.1:$port" --admin_password_file="$work/admin.password"
