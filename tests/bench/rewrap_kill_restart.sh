#!/usr/bin/env bash
# KEK rotation on a store of many keys (default 100,000), the operator's
# way: `identityd rewrap` under a KEK file whose new first line came in
# front of the old one, SIGKILLed midway; a rerun completes; then every key
# opens with the new line alone (the old one removed), none is lost, and
# the old KEK alone opens nothing (fail closed). Then a second rotation of
# the whole store, timed. Then the same online: identityd serving,
# `identityctl kek rewrap`, identityd SIGKILLed midway and restarted, the
# run started again completes; and a fourth rotation timed online. The
# two throughputs (keys/s) it prints are the figures deploy/README.md
# quotes.
#
#   tests/bench/rewrap_kill_restart.sh [--keys N] [--build_dir DIR]
#
# ctest runs it as rewrap_kill_restart_100k: 40-65 s on 2 cores, a quarter
# of it the bulk load.
set -euo pipefail

keys=100000
build_dir=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys) keys="$2"; shift 2 ;;
    --build_dir) build_dir="$2"; shift 2 ;;
    *) echo "usage: $0 [--keys N] [--build_dir DIR]" >&2; exit 2 ;;
  esac
done
identityd="$build_dir/service/identityd"
bulk_load="$build_dir/tests/bench/identity_bulk_load"
for binary in "$identityd" "$bulk_load"; do
  [[ -x "$binary" ]] || { echo "missing $binary: build it first" >&2; exit 2; }
done

work="$(mktemp -d)"
rewrap_pid=""
cleanup() {
  if [[ -n "$rewrap_pid" ]]; then kill -9 "$rewrap_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
umask 077

fail() { echo "FAIL: $*" >&2; exit 1; }
new_kek_line() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
# The id of a KEK file's first key, from a dry run's report.
sealing_id() { sed -n 's/.* under sealing KEK \([0-9a-f]*\):.*/\1/p' "$1"; }
# The count a report gives for a KEK id (0 if absent).
count_for() {
  awk -v id="$2" '$1 == id { print $2; found = 1 } END { if (!found) print 0 }' "$1"
}
field() { awk -v name="$2" 'index($0, "  " name " ") == 1 { print $NF }' "$1"; }
rewrap() {
  "$identityd" rewrap --data_dir="$work/data" --rewrap_progress_every="$keys" "$@"
}

echo "== bulk load: $keys keys, sealed under the old KEK"
printf 'bulk-admin-password-1\n' > "$work/admin.password"
"$bulk_load" --data_dir="$work/data" --master_key_file="$work/old.key" \
  --admin_password_file="$work/admin.password" --users=$((keys / 2)) \
  --keys_per_user=2 --threads=2
old_line="$(grep -v '^#' "$work/old.key" | head -n 1)"
new_line="$(new_kek_line)"
printf '%s\n%s\n' "$new_line" "$old_line" > "$work/rotated.key"
printf '%s\n' "$new_line" > "$work/new.key"

echo "== rewrap, killed with SIGKILL midway"
# Not through rewrap(): $! must be identityd itself, not a subshell.
"$identityd" rewrap --data_dir="$work/data" \
  --master_key_file="$work/rotated.key" \
  --rewrap_progress_every=$((keys / 50)) --rewrap_batch_size=200 \
  > "$work/killed.out" 2> "$work/killed.err" &
rewrap_pid=$!
killed=0
for _ in $(seq 1 6000); do
  resealed="$(sed -n 's/^rewrap: .* \([0-9]*\) re-sealed$/\1/p' "$work/killed.err" | tail -n 1)"
  if [[ -n "$resealed" && "$resealed" -ge $((keys / 4)) ]]; then
    kill -9 "$rewrap_pid"
    killed=1
    break
  fi
  kill -0 "$rewrap_pid" 2>/dev/null || break
  sleep 0.01
done
wait "$rewrap_pid" 2>/dev/null || true
rewrap_pid=""
[[ "$killed" == 1 ]] || fail "the rewrap ended before it could be killed"
tail -n 1 "$work/killed.err"

rewrap --master_key_file="$work/rotated.key" --dry_run > "$work/midway.out"
new_id="$(sealing_id "$work/midway.out")"
old_id="$(awk '$3 != "(sealing)" && NF == 2 && $1 ~ /^[0-9a-f]+$/ { print $1 }' "$work/midway.out" | head -n 1)"
midway_new="$(count_for "$work/midway.out" "$new_id")"
midway_old="$(count_for "$work/midway.out" "$old_id")"
echo "after the kill: $midway_new keys under the new KEK, $midway_old under the old"
[[ "$midway_new" -gt 0 && "$midway_old" -gt 0 ]] ||
  fail "the kill did not land midway"
[[ $((midway_new + midway_old)) -eq "$keys" ]] || fail "keys lost by the kill"

echo "== rerun: resumes"
rewrap --master_key_file="$work/rotated.key" > "$work/rerun.out"
cat "$work/rerun.out"
[[ "$(field "$work/rerun.out" "already current")" -ge "$midway_new" ]] ||
  fail "the rerun re-sealed keys the killed run had done"
[[ "$(count_for "$work/rerun.out" "$new_id")" -eq "$keys" ]] ||
  fail "not every key is under the new KEK"

echo "== the old line removed: every key opens with the new KEK alone"
status=0
rewrap --master_key_file="$work/new.key" --dry_run --verify \
  > "$work/verify.out" || status=$?
cat "$work/verify.out"
[[ "$status" == 0 ]] || fail "verify exited $status"
grep -q ": $keys access keys " "$work/verify.out" || fail "keys lost"
[[ "$(field "$work/verify.out" "already current")" -eq "$keys" ]] ||
  fail "not every key opens under the new KEK"

echo "== the old KEK alone opens nothing (fail closed, exit 3)"
status=0
rewrap --master_key_file="$work/old.key" --dry_run > "$work/old.out" || status=$?
[[ "$status" == 3 ]] || fail "expected exit 3 under the old KEK alone, got $status"
[[ "$(field "$work/old.out" "failed: unknown KEK id")" -eq "$keys" ]] ||
  fail "the old KEK alone should find every key's KEK unknown"

echo "== throughput: a second rotation of the whole store"
newer_line="$(new_kek_line)"
printf '%s\n%s\n' "$newer_line" "$new_line" > "$work/rotated2.key"
rewrap --master_key_file="$work/rotated2.key" > "$work/timed.out"
cat "$work/timed.out"
[[ "$(field "$work/timed.out" "re-sealed")" -eq "$keys" ]] ||
  fail "the timed run did not re-seal every key"
throughput="$(sed -n 's/.*secrets\/s read, \([0-9]*\) re-sealed\/s.*/\1/p' "$work/timed.out")"
echo "{\"name\":\"rewrap\",\"keys\":$keys,\"keys_per_second\":$throughput}"

# Online: the same through identityd serving, RewrapSecrets started by
# identityctl, identityd SIGKILLed midway, restarted, the run started
# again; then a third rotation, timed from identityd's own log line.
identityd_pid=""
start_identityd() {  # KEK_FILE LOG
  "$identityd" --listen=127.0.0.1:0 --data_dir="$work/data" \
    --master_key_file="$1" --worker_threads=1 > /dev/null 2> "$2" &
  identityd_pid=$!
  rewrap_pid="$identityd_pid"  # killed on exit
  port=""
  for _ in $(seq 1 2000); do
    port="$(sed -n 's/.*"event":"serving".*"port":"\([0-9]*\)".*/\1/p' "$2")"
    [[ -n "$port" ]] && return 0
    sleep 0.01
  done
  fail "identityd did not start: $(tail -n 3 "$2")"
}
ctl() {
  "$identityctl" --server "127.0.0.1:$port" --session-file "$work/session" \
    --user admin "$@"
}
as_admin() { ctl --password-file "$work/admin.password" "$@"; }
identityctl="$build_dir/service/identityctl/identityctl"
[[ -x "$identityctl" ]] || fail "missing $identityctl"

echo "== online: identityctl kek rewrap, identityd SIGKILLed midway"
third_line="$(new_kek_line)"
printf '%s\n%s\n' "$third_line" "$newer_line" > "$work/rotated3.key"
start_identityd "$work/rotated3.key" "$work/online1.log"
as_admin login > /dev/null
as_admin kek rewrap > /dev/null
killed=0
served=0
for _ in $(seq 1 3000); do
  # A session call: no Argon2 per poll.
  resealed="$(ctl kek status | sed -n 's/^  re-sealed \([0-9]*\),.*/\1/p')"
  if [[ "$served" == 0 && "$(ctl health)" == SERVING ]]; then served=1; fi
  if [[ -n "$resealed" && "$resealed" -ge $((keys / 4)) ]]; then
    kill -9 "$identityd_pid"
    killed=1
    break
  fi
  sleep 0.01
done
wait "$identityd_pid" 2>/dev/null || true
[[ "$killed" == 1 ]] || fail "the online run ended before it could be killed"
[[ "$served" == 1 ]] || fail "identityd did not answer while rewrapping"
echo "killed identityd after $resealed keys re-sealed online"

start_identityd "$work/rotated3.key" "$work/online2.log"
as_admin kek rewrap --wait > "$work/online2.out"
cat "$work/online2.out"
current="$(sed -n 's/.* already current \([0-9]*\),.*/\1/p' "$work/online2.out")"
[[ "$current" -ge "$resealed" ]] || fail "the resumed run re-sealed keys again"
grep -q "No old KEK id is in use" "$work/online2.out" ||
  fail "old KEK still in use after the online rerun"
kill -TERM "$identityd_pid"; wait "$identityd_pid" 2>/dev/null || true

echo "== online throughput: a fourth rotation, identityd serving"
fourth_line="$(new_kek_line)"
printf '%s\n%s\n' "$fourth_line" "$third_line" > "$work/rotated4.key"
start_identityd "$work/rotated4.key" "$work/online3.log"
as_admin kek rewrap --wait > "$work/online3.out"
grep -q "re-sealed $keys," "$work/online3.out" ||
  fail "the online run did not re-seal every key: $(cat "$work/online3.out")"
seconds="$(sed -n 's/.*"event":"secret_rewrap".*"seconds":"\([0-9.]*\)".*/\1/p' "$work/online3.log" | tail -n 1)"
kill -TERM "$identityd_pid"; wait "$identityd_pid" 2>/dev/null || true
rewrap_pid=""
online="$(python3 -c "print(round($keys / $seconds))")"
echo "{\"name\":\"rewrap_online\",\"keys\":$keys,\"seconds\":$seconds,\"keys_per_second\":$online}"
echo "PASS"
