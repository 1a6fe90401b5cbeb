#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` into a temp prefix: the two programs,
# the systemd unit (pointing at P/bin/identityd) and the example config are
# there, and the installed identityd starts and answers the installed
# identityctl's health check.
#
#   tests/e2e/install_test.sh CMAKE BUILD_DIR
set -euo pipefail
cmake="$1"
build="$2"
work="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
prefix="$work/prefix"

"$cmake" --install "$build" --prefix "$prefix" > "$work/install.log"
for file in bin/identityd bin/identityctl; do
  [[ -x "$prefix/$file" ]] || { echo "not installed: $file"; exit 1; }
done
for file in lib/systemd/system/identityd.service \
  share/identity/identityd.flags share/identity/tls-principals.example; do
  [[ -f "$prefix/$file" ]] || { echo "not installed: $file"; exit 1; }
done
grep -q "^ExecStart=$prefix/bin/identityd " \
  "$prefix/lib/systemd/system/identityd.service" ||
  { echo "the unit's ExecStart does not name $prefix/bin/identityd"; exit 1; }

"$prefix/bin/identityd" --help > "$work/help"
grep -q -- "--data_dir" "$work/help" || { echo "--help lists no flags"; exit 1; }

head -c 18 /dev/urandom | base64 > "$work/password"
"$prefix/bin/identityd" --listen=127.0.0.1:0 --data_dir="$work/data" \
  --master_key_file="$work/master.key" \
  --bootstrap_password_file="$work/password" 2> "$work/log" &
pid=$!
for _ in $(seq 1 500); do
  grep -q '"event":"serving"' "$work/log" && break
  sleep 0.01
done
port=$(grep -o '"port":"[0-9]*"' "$work/log" | grep -o '[0-9]*' || true)
[[ -n "$port" ]] || { cat "$work/log"; exit 1; }
health=$("$prefix/bin/identityctl" --server "127.0.0.1:$port" --timeout 10s \
  health)
[[ "$health" == SERVING ]] || { echo "health: $health"; exit 1; }
echo "installed into a temp prefix; the installed identityd served"
