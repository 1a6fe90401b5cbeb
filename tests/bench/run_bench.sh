#!/usr/bin/env bash
# The benchmark run: every figure is measured in this one run on this
# machine and reported as a ratio to a floor measured alongside it.
#
#   tests/bench/run_bench.sh [--smoke] [--rounds N] [--scale USERS]
#                            [--build_dir DIR] [--out FILE] [--etcd]
#
# The cheap-call figures (E, Health/Check, ListAccessKeys, VerifySignature
# (also against E for its request's bytes: the empty handler sent the same
# request, the floor of what gRPC and the load generator cost to move it),
# the h2load cross-check, and ListAccessKeys with metrics on and with the
# access log off) are measured in N rounds (default 3), each round E first
# and then every identityd variant in turn, so drift on a shared machine
# hits every variant alike; each ratio is computed within its round and
# the table gives the median with the range over the rounds.
#
# Starts the empty-handler server (E) and identityd on a fresh data dir,
# seeds users, and measures: E; identityd's Health/Check; ListAccessKeys
# with a Bearer token; CreateAccessKey against K = worker threads / one
# Argon2id verification (timed in a plain loop here); ListAccessKeys while
# CreateAccessKey saturates the server. With --scale, also bulk-loads 1,000
# and USERS users (2 keys each) and reports ListAccessKeys p99 on both,
# identityd's resident memory on the big store and its cold start time.
# With --etcd, also starts a 3-member etcd cluster on loopback (Debian's
# /usr/bin/etcd, etcd's default timings) and measures ListAccessKeys and
# CreateAccessKey on identityd with --etcd_endpoints, as ratios to the
# RocksDB figures of this run, to E and to K.
# --smoke: half a second of each, to check that everything runs and
# reports (the test suite runs this). Prints a table; writes JSON to --out.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="$here/../../build"
smoke=0
scale=0
out=""
etcd=0
rounds=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --rounds) rounds="$2"; shift ;;
    --scale) scale="$2"; shift ;;
    --build_dir) build_dir="$2"; shift ;;
    --out) out="$2"; shift ;;
    --etcd) etcd=1 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
bench="$build_dir/tests/bench/identity_bench"
floor_server="$build_dir/tests/bench/identity_bench_server"
loader="$build_dir/tests/bench/identity_bulk_load"
identityd="$build_dir/service/identityd"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

threads=$(nproc)
if [[ $smoke == 1 ]]; then
  # Long enough for every scenario to complete calls; the figures mean
  # nothing at this length, and the suite runs this beside other tests.
  timing=(--warmup=0.2s --duration=0.5s)
  concurrency=4 users=4 argon2_iterations=3 rounds=1
  [[ $scale == 0 ]] && scale=2000
else
  timing=(--warmup=3s --duration=10s)
  concurrency=32 users=32 argon2_iterations=40
fi
head -c 18 /dev/urandom | base64 > "$work/admin.password"
results="$work/results.jsonl"
: > "$results"

# Starts identityd on $1 (data dir), with any further arguments as extra
# flags; sets $identityd_pid and $port, and $startup_ms (exec to serving).
start_identityd() {
  local data="$1" log="$1.log"
  shift
  local begin end
  begin=$(date +%s%N)
  "$identityd" --listen=127.0.0.1:0 --data_dir="$data" \
    --master_key_file="$work/master.key" \
    --bootstrap_password_file="$work/admin.password" \
    --max_keys_per_user=1000000 --worker_threads="$threads" "$@" \
    2> "$log" &
  identityd_pid=$!
  pids+=("$identityd_pid")
  for _ in $(seq 1 600); do
    if grep -q '"event":"serving"' "$log"; then break; fi
    sleep 0.01
  done
  end=$(date +%s%N)
  port=$(grep -o '"port":"[0-9]*"' "$log" | grep -o '[0-9]*' | head -n 1)
  [[ -n "$port" ]] || { cat "$log"; echo "identityd did not start" >&2; exit 1; }
  startup_ms=$(( (end - begin) / 1000000 ))
}

stop_identityd() {
  kill -TERM "$identityd_pid"
  wait "$identityd_pid" 2> /dev/null || true
}

# The value of a numeric field ($1) of the JSON line named $2 (round $3,
# or the last one measured).
field() {
  local lines
  lines=$(grep "\"name\":\"$2\"" "$results")
  [[ -n "${3:-}" ]] && lines=$(grep "\"round\":$3," <<< "$lines")
  tail -n 1 <<< "$lines" | grep -o "\"$1\":[0-9.]*" | head -n 1 | cut -d: -f2
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# Appends the JSON lines on stdin to the results, tagged with round $1.
record() { sed "s/^{/{\"round\":$1,/" >> "$results"; }
# "median (min-max)" over the rounds of field $1 of $2, divided by field
# $3 of $4 of the same round (without $3: the values themselves).
over_rounds() {
  local r values=""
  for r in $(seq 1 "$rounds"); do
    local a b=1
    a=$(field "$1" "$2" "$r")
    [[ -n "${3:-}" ]] && b=$(field "$3" "$4" "$r")
    values+="$(awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN { printf "%.4f", (b > 0 ? a / b : 0) }') "
  done
  tr ' ' '\n' <<< "$values" | grep . | sort -g | awk -v digits="${5:-2}" '
    { v[NR] = $1 }
    END {
      m = (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)
      if (NR == 1) printf "%.*f", digits, m
      else printf "%.*f (%.*f-%.*f)", digits, m, digits, v[1], digits, v[NR]
    }'
}

# Starts the floor server with arguments $2...; sets the variable named $1
# to its port.
start_floor() {
  local name="$1" file="$work/floor-$1.port"
  shift
  "$floor_server" 127.0.0.1:0 "$@" > "$file" &
  pids+=("$!")
  for _ in $(seq 1 300); do
    grep -q port "$file" 2> /dev/null && break
    sleep 0.01
  done
  printf -v "$name" '%s' "$(grep -o '[0-9]*' "$file")"
}
# The floor: an empty handler on the same gRPC setup.
start_floor floor_port
# The same floor behind identityd's front door (service/connection_relay.h),
# to tell what the relay costs from what identityd's handlers cost.
start_floor floor_relay_port --relay
"$bench" --scenario=argon2 --argon2_iterations="$argon2_iterations" >> "$results"

# Cross-check with a load generator we did not write: h2load sending
# length-prefixed gRPC frames (an empty request: 5 zero bytes).
h2load_rps() {
  h2load -D "${h2load_time}" --warm-up-time="${h2load_warmup}" -c 4 -m 16 \
    --data="$work/empty.grpc" -H 'content-type: application/grpc' \
    -H 'te: trailers' "$@" 2> /dev/null |
    grep -o 'finished in [0-9.]*[a-z]*, [0-9.]* req/s' | grep -o '[0-9.]* req/s' |
    grep -o '^[0-9.]*'
}
h2load_time=$([[ $smoke == 1 ]] && echo 500ms || echo 8s)
h2load_warmup=$([[ $smoke == 1 ]] && echo 200ms || echo 1s)
printf '\0\0\0\0\0' > "$work/empty.grpc"

for round in $(seq 1 "$rounds"); do
  "$bench" --scenario=empty --target="127.0.0.1:$floor_port" \
    --concurrency="$concurrency" "${timing[@]}" | record "$round"
  "$bench" --scenario=empty --target="127.0.0.1:$floor_relay_port" \
    --concurrency="$concurrency" "${timing[@]}" |
    sed 's/"empty"/"empty_relay"/' | record "$round"
  # The same floor, for the bytes of a replayed VerifySignature request.
  for scheme in sigv4 obs; do
    "$bench" --scenario="empty_verify_$scheme" --target="127.0.0.1:$floor_port" \
      --concurrency="$concurrency" "${timing[@]}" | record "$round"
  done

  start_identityd "$work/data"
  common=(--target="127.0.0.1:$port" --admin_password_file="$work/admin.password"
          --users="$users" "${timing[@]}")
  "$bench" --scenario=health --concurrency="$concurrency" "${common[@]}" | record "$round"
  "$bench" --scenario=list --concurrency="$concurrency" "${common[@]}" | record "$round"
  # VerifySignature: one valid request replayed (SigV4, then OBS V2).
  "$bench" --scenario=verify_sigv4 --concurrency="$concurrency" "${common[@]}" | record "$round"
  "$bench" --scenario=verify_obs --concurrency="$concurrency" "${common[@]}" | record "$round"
  if command -v h2load > /dev/null; then
    token=$("$bench" --scenario=token "${common[@]}")
    e_h2=$(h2load_rps "http://127.0.0.1:$floor_port/identity.v1.AccessKeyService/ListAccessKeys")
    list_h2=$(h2load_rps -H "authorization: Bearer $token" \
      "http://127.0.0.1:$port/identity.v1.AccessKeyService/ListAccessKeys")
    echo "{\"name\":\"h2load_empty\",\"rps\":${e_h2:-0}}" | record "$round"
    echo "{\"name\":\"h2load_list_bearer\",\"rps\":${list_h2:-0}}" | record "$round"
  fi
  stop_identityd

  # What observability costs: ListAccessKeys on fresh identityds with the
  # defaults (metrics off, a log line per call), with Prometheus metrics on,
  # and with the access log off (--log_level=warning). The order rotates
  # from round to round: whichever ran first in a round came out slower
  # or faster by more than either feature costs.
  variants=(plain metrics quiet)
  for i in 0 1 2; do
    variant=${variants[$(((i + round) % 3))]}
    case "$variant" in
      plain) flags=() ;;
      metrics) flags=(--metrics_listen=127.0.0.1:0) ;;
      quiet) flags=(--log_level=warning) ;;
    esac
    start_identityd "$work/data-$variant-$round" "${flags[@]}"
    common[0]="--target=127.0.0.1:$port"
    "$bench" --scenario=list --concurrency="$concurrency" "${common[@]}" |
      sed "s/\"list_bearer\"/\"list_bearer_$variant\"/" | record "$round"
    stop_identityd
  done
done

# Password work, once: against K, and beside saturating reads.
start_identityd "$work/data"
common[0]="--target=127.0.0.1:$port"
"$bench" --scenario=create --create_concurrency=$((threads * 4)) \
  "${common[@]}" >> "$results"
"$bench" --scenario=list_under_create --concurrency="$concurrency" \
  --create_concurrency=$((threads * 4)) "${common[@]}" >> "$results"
stop_identityd

if [[ $scale -gt 0 ]]; then
  for size in 1000 "$scale"; do
    data="$work/scale-$size"
    "$loader" --data_dir="$data" --master_key_file="$work/master.key" \
      --admin_password_file="$work/admin.password" --users="$size" \
      --threads="$threads" | sed "s/\"bulk_load\"/\"bulk_load_$size\"/" >> "$results"
    start_identityd "$data"
    echo "{\"name\":\"cold_start_$size\",\"ms\":$startup_ms}" >> "$results"
    "$bench" --scenario=list --concurrency="$concurrency" --bulk_users="$size" \
      --target="127.0.0.1:$port" --users="$users" "${timing[@]}" |
      sed "s/\"list_bearer\"/\"list_bearer_$size\"/" >> "$results"
    rss_kib=$(grep VmRSS "/proc/$identityd_pid/status" | grep -o '[0-9]*')
    hwm_kib=$(grep VmHWM "/proc/$identityd_pid/status" | grep -o '[0-9]*')
    echo "{\"name\":\"memory_$size\",\"rss_mib\":$((rss_kib / 1024)),\"peak_mib\":$((hwm_kib / 1024))}" >> "$results"
    stop_identityd
    rm -rf "$data"
  done
fi

if [[ $etcd == 1 ]]; then
  # Three members on loopback, data under $work; ended with SIGKILL by
  # cleanup (SIGTERM without quorum can hang).
  free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  }
  cluster="" endpoints=""
  declare -a client_ports peer_ports
  for m in 0 1 2; do
    client_ports[$m]=$(free_port)
    peer_ports[$m]=$(free_port)
    cluster+="${cluster:+,}m$m=http://127.0.0.1:${peer_ports[$m]}"
    endpoints+="${endpoints:+,}127.0.0.1:${client_ports[$m]}"
  done
  for m in 0 1 2; do
    /usr/bin/etcd --name="m$m" --data-dir="$work/etcd-m$m" \
      --listen-client-urls="http://127.0.0.1:${client_ports[$m]}" \
      --advertise-client-urls="http://127.0.0.1:${client_ports[$m]}" \
      --listen-peer-urls="http://127.0.0.1:${peer_ports[$m]}" \
      --initial-advertise-peer-urls="http://127.0.0.1:${peer_ports[$m]}" \
      --initial-cluster="$cluster" --initial-cluster-state=new \
      --log-level=error --logger=zap 2> "$work/etcd-m$m.log" &
    pids+=("$!")
  done
  # A store call here waits on the network (a linearizable read is a
  # quorum round trip), so the session pool gets more threads than cores.
  start_identityd "$work/unused" --data_dir= --etcd_endpoints="$endpoints" \
    --session_worker_threads=$((threads * 8))
  common[0]="--target=127.0.0.1:$port"
  "$bench" --scenario=list --concurrency="$concurrency" "${common[@]}" |
    sed 's/"list_bearer"/"list_bearer_etcd"/' >> "$results"
  "$bench" --scenario=create --create_concurrency=$((threads * 4)) \
    "${common[@]}" | sed 's/"create_basic"/"create_basic_etcd"/' >> "$results"
  stop_identityd
fi

# The table.
argon2_ms=$(field verify_ms argon2)
k=$(awk -v t="$threads" -v ms="$argon2_ms" 'BEGIN { printf "%.1f", t * 1000 / ms }')
e_rps=$(field rps empty)
e_p99=$(field p99_ms empty)
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); worker threads $threads; $rounds round(s): median (min-max)"
echo
echo "| figure | measured | ratio | target |"
echo "| --- | --- | --- | --- |"
echo "| E: empty handler, bench server | $(over_rounds rps empty "" "" 0) req/s, p99 $(over_rounds p99_ms empty "" "" 2) ms | 1 | |"
echo "| E behind identityd's relay | $(over_rounds rps empty_relay "" "" 0) req/s, p99 $(over_rounds p99_ms empty_relay "" "" 2) ms | $(over_rounds rps empty_relay rps empty) x E | what the front door costs |"
echo "| identityd Health/Check | $(over_rounds rps health "" "" 0) req/s | $(over_rounds rps health rps empty) x E | |"
echo "| ListAccessKeys, Bearer | $(over_rounds rps list_bearer "" "" 0) req/s | $(over_rounds rps list_bearer rps empty) x E | >= 0.85 |"
echo "| ListAccessKeys p99 | $(over_rounds p99_ms list_bearer "" "" 2) ms | $(over_rounds p99_ms list_bearer p99_ms empty) x E p99 | <= 1.2 |"
echo "| E for a VerifySignature request's bytes (SigV4 / OBS V2) | $(over_rounds rps empty_verify_sigv4 "" "" 0) / $(over_rounds rps empty_verify_obs "" "" 0) req/s | $(over_rounds rps empty_verify_sigv4 rps empty) / $(over_rounds rps empty_verify_obs rps empty) x E | what gRPC and the client cost to carry them |"
echo "| VerifySignature, SigV4 replayed | $(over_rounds rps verify_sigv4 "" "" 0) req/s | $(over_rounds rps verify_sigv4 rps empty) x E; $(over_rounds rps verify_sigv4 rps empty_verify_sigv4) x E same bytes | >= 0.85 |"
echo "| VerifySignature SigV4 p99 | $(over_rounds p99_ms verify_sigv4 "" "" 2) ms | $(over_rounds p99_ms verify_sigv4 p99_ms empty) x E p99; $(over_rounds p99_ms verify_sigv4 p99_ms empty_verify_sigv4) x E same bytes | <= 1.5 |"
echo "| VerifySignature, OBS V2 replayed | $(over_rounds rps verify_obs "" "" 0) req/s, p99 $(over_rounds p99_ms verify_obs "" "" 2) ms | $(over_rounds rps verify_obs rps empty) x E; $(over_rounds rps verify_obs rps empty_verify_obs) x E same bytes | |"
echo "| ListAccessKeys with --metrics_listen | $(over_rounds rps list_bearer_metrics "" "" 0) req/s | $(over_rounds rps list_bearer_metrics rps list_bearer_plain) x default | cost of metrics |"
echo "| ListAccessKeys with --log_level=warning | $(over_rounds rps list_bearer_quiet "" "" 0) req/s | $(over_rounds rps list_bearer_quiet rps list_bearer_plain) x default | cost of the access log |"
if grep -q h2load_empty "$results"; then
  echo "| h2load (not ours): E / ListAccessKeys, Bearer | $(over_rounds rps h2load_empty "" "" 0) / $(over_rounds rps h2load_list_bearer "" "" 0) req/s | $(over_rounds rps h2load_list_bearer rps h2load_empty) x E | cross-check |"
fi
echo "| Argon2id verification (plain loop) | $argon2_ms ms; K = $k req/s | | |"
echo "| Argon2id on every core at once (plain loops) | $(field parallel_rps argon2) req/s | $(ratio "$(field parallel_rps argon2)" "$k") x K | the machine's real ceiling |"
echo "| CreateAccessKey, Basic | $(field rps create_basic) req/s | $(ratio "$(field rps create_basic)" "$k") x K ($(ratio "$(field rps create_basic)" "$(field parallel_rps argon2)") x parallel) | >= 0.9 |"
echo "| ListAccessKeys under saturated creates | $(field rps list_under_create) req/s (creates $(field rps create_saturating) req/s) | $(ratio "$(field rps list_under_create)" "$e_rps") x E (last round's); creates $(ratio "$(field rps create_saturating)" "$(field rps create_basic)") x alone | >= 0.5 each |"
if [[ $etcd == 1 ]]; then
  echo "| etcd (3 members, loopback): ListAccessKeys, Bearer | $(field rps list_bearer_etcd) req/s, p99 $(field p99_ms list_bearer_etcd) ms | $(ratio "$(field rps list_bearer_etcd)" "$(field rps list_bearer)") x RocksDB, $(ratio "$(field rps list_bearer_etcd)" "$e_rps") x E; p99 $(ratio "$(field p99_ms list_bearer_etcd)" "$(field p99_ms list_bearer)") x RocksDB, $(ratio "$(field p99_ms list_bearer_etcd)" "$e_p99") x E | |"
  echo "| etcd (3 members, loopback): CreateAccessKey, Basic | $(field rps create_basic_etcd) req/s | $(ratio "$(field rps create_basic_etcd)" "$(field rps create_basic)") x RocksDB, $(ratio "$(field rps create_basic_etcd)" "$k") x K | |"
fi
if [[ $scale -gt 0 ]]; then
  echo "| ListAccessKeys p99, 1,000 users | $(field p99_ms list_bearer_1000) ms | 1 | |"
  echo "| ListAccessKeys p99, $scale users | $(field p99_ms "list_bearer_$scale") ms | $(ratio "$(field p99_ms "list_bearer_$scale")" "$(field p99_ms list_bearer_1000)") x 1k | <= 1.5 |"
  echo "| resident memory, $scale users | $(field rss_mib "memory_$scale") MiB (peak $(field peak_mib "memory_$scale") MiB) | | <= 512 MiB |"
  echo "| cold start, $scale users | $(field ms "cold_start_$scale") ms | | <= 5000 ms |"
  echo "| bulk load, $scale users | $(field seconds "bulk_load_$scale") s | | |"
fi
echo
codes=$(grep -o '"codes":{[^}]*}' "$results" | grep -v '^"codes":{"OK":[0-9]*}$' || true)
[[ -n "$codes" ]] && echo "status codes other than OK seen: $codes"
if [[ -n "$out" ]]; then
  { echo "["; sed '$!s/$/,/' "$results"; echo "]"; } > "$out"
  echo "JSON: $out"
fi
# A run that could not measure something fails (the smoke test relies on it).
for name in argon2 empty empty_relay empty_verify_sigv4 empty_verify_obs health list_bearer create_basic list_under_create \
  list_bearer_plain list_bearer_metrics list_bearer_quiet; do
  grep -q "\"name\":\"$name\"" "$results" || { echo "missing $name" >&2; exit 1; }
done
[[ "$(field rps list_bearer)" != "0.0" ]] || { echo "no ListAccessKeys completed" >&2; exit 1; }
