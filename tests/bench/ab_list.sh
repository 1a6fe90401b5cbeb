#!/usr/bin/env bash
# A/B comparison of ListAccessKeys throughput between identityd variants
# (two builds, or one build with different flags), run alternately so that
# a noisy machine's drift hits every variant alike.
#
#   tests/bench/ab_list.sh ROUNDS LABEL:BUILD_DIR[:FLAGS] ...
#   e.g. tests/bench/ab_list.sh 3 new:build old:/tmp/old/build \
#          quiet:build:--log_level=warning
#
# Each round starts each variant's identityd on a fresh store, then
# measures with the repository's load generator (list scenario, 32 calls
# in flight over 32 users, 8 s after 2 s of warm-up) and with h2load (one
# user's token, 4 connections x 16 streams, 8 s). Prints one line per run.
# AB_SCENARIO=verify_sigv4 (or verify_obs) measures VerifySignature with
# one replayed valid request instead (load generator only), e.g.
#   AB_SCENARIO=verify_sigv4 tests/bench/ab_list.sh 3 \
#     cache:build off:build:--signing_key_cache_entries=0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds="$1"
shift
bench="$here/../../build/tests/bench/identity_bench"
work="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
head -c 18 /dev/urandom | base64 > "$work/pw"
printf '\0\0\0\0\0' > "$work/empty.grpc"

for round in $(seq 1 "$rounds"); do
  for variant in "$@"; do
    IFS=: read -r label build flags <<< "$variant"
    data="$work/data-$round-$label"
    # shellcheck disable=SC2086  # FLAGS is a list of flags
    "$build/service/identityd" --listen=127.0.0.1:0 --data_dir="$data" \
      --master_key_file="$work/master.key" --bootstrap_password_file="$work/pw" \
      --worker_threads=2 $flags 2> "$data.log" &
    pid=$!
    for _ in $(seq 1 600); do
      grep -q '"event":"serving"' "$data.log" 2> /dev/null && break
      sleep 0.01
    done
    port=$(grep -o '"port":"[0-9]*"' "$data.log" | grep -o '[0-9]*' | head -n 1)
    target=(--target="127.0.0.1:$port" --admin_password_file="$work/pw")
    scenario="${AB_SCENARIO:-list}"
    ours=$("$bench" --scenario="$scenario" --concurrency=32 --users=32 \
      --warmup=2s --duration=8s "${target[@]}" | grep -o '"rps":[0-9.]*' |
      cut -d: -f2)
    if [[ $scenario != list ]]; then
      echo "round $round  $label  $scenario ${ours} req/s"
      kill "$pid"
      wait "$pid" 2> /dev/null || true
      pid=""
      continue
    fi
    token=$("$bench" --scenario=token --users=4 "${target[@]}")
    theirs=$(h2load -D 8 --warm-up-time=1 -c 4 -m 16 --data="$work/empty.grpc" \
      -H 'content-type: application/grpc' -H 'te: trailers' \
      -H "authorization: Bearer $token" \
      "http://127.0.0.1:$port/identity.v1.AccessKeyService/ListAccessKeys" \
      2> /dev/null | grep -o 'finished in [0-9.]*s, [0-9.]*' | awk '{print $4}')
    echo "round $round  $label  load generator ${ours} req/s  h2load ${theirs} req/s"
    kill "$pid"
    wait "$pid" 2> /dev/null || true
    pid=""
  done
done
