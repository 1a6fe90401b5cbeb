#!/usr/bin/env bash
# A/B comparison of CreateAccessKey beside saturating reads, between
# identityd variants, run alternately round after round (as ab_list.sh).
#
#   tests/bench/ab_create_under_list.sh ROUNDS LABEL:BUILD_DIR[:FLAGS] ...
#   e.g. tests/bench/ab_create_under_list.sh 3 nice10:build:--password_pool_nice=10 \
#          nice5:build:--password_pool_nice=5
#
# Each round measures E (the empty handler) once, then for each variant on
# a fresh store: creates alone (8 in flight), then ListAccessKeys (32 in
# flight) while creates saturate the password pool. Prints one line per
# variant: list / E and creates beside reads / creates alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds="$1"
shift
bench="$here/../../build/tests/bench/identity_bench"
floor_server="$here/../../build/tests/bench/identity_bench_server"
work="$(mktemp -d)"
pid="" floor_pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
  [[ -n "$floor_pid" ]] && kill "$floor_pid" 2> /dev/null && wait "$floor_pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
head -c 18 /dev/urandom | base64 > "$work/pw"
rps() { grep "\"name\":\"$1\"" | grep -o '"rps":[0-9.]*' | cut -d: -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

"$floor_server" 127.0.0.1:0 > "$work/floor.port" &
floor_pid=$!
for _ in $(seq 1 300); do
  grep -q port "$work/floor.port" 2> /dev/null && break
  sleep 0.01
done
floor_port=$(grep -o '[0-9]*' "$work/floor.port")
timing=(--warmup=2s --duration=8s)

for round in $(seq 1 "$rounds"); do
  e=$("$bench" --scenario=empty --target="127.0.0.1:$floor_port" \
    --concurrency=32 "${timing[@]}" | rps empty)
  for variant in "$@"; do
    IFS=: read -r label build flags <<< "$variant"
    data="$work/data-$round-$label"
    # shellcheck disable=SC2086  # FLAGS is a list of flags
    "$build/service/identityd" --listen=127.0.0.1:0 --data_dir="$data" \
      --master_key_file="$work/master.key" --bootstrap_password_file="$work/pw" \
      --worker_threads="$(nproc)" --max_keys_per_user=1000000 $flags \
      2> "$data.log" &
    pid=$!
    for _ in $(seq 1 600); do
      grep -q '"event":"serving"' "$data.log" 2> /dev/null && break
      sleep 0.01
    done
    port=$(grep -o '"port":"[0-9]*"' "$data.log" | grep -o '[0-9]*' | head -n 1)
    target=(--target="127.0.0.1:$port" --admin_password_file="$work/pw"
            --users=32 "${timing[@]}")
    alone=$("$bench" --scenario=create --create_concurrency=8 "${target[@]}" |
      rps create_basic)
    both=$("$bench" --scenario=list_under_create --concurrency=32 \
      --create_concurrency=8 "${target[@]}")
    list=$(rps list_under_create <<< "$both")
    creates=$(rps create_saturating <<< "$both")
    echo "round $round  $label  E $e req/s  creates alone $alone/s  beside reads: list $list req/s ($(ratio "$list" "$e") x E), creates $creates/s ($(ratio "$creates" "$alone") x alone)"
    kill "$pid"
    wait "$pid" 2> /dev/null || true
    pid=""
  done
done
