#!/usr/bin/env bash
# Builds the storage and auth tests with ThreadSanitizer (clang-14, in
# build-tsan/) and runs them (see the one exception below): among them the
# 64-thread mixed
# create/delete/update race, the store's racing creates/deletes and admin
# demotions, racing uses of one verification code and one TOTP code, and
# the background passes over every key (expiry, rewrap, audit retention)
# racing writers and each other on RocksDB and etcd. A data race fails
# the run.
# (The service tests are left to the ASan run: nearly all of their threads
# are gRPC's, which is not instrumented.)
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/build-env.sh
CC=clang-14 CXX=clang++-14 cmake -S . -B build-tsan -DIDENTITY_TSAN=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-tsan -j"$(nproc)" \
  --target identity_auth_test identity_storage_test identity_key_expiry_test \
  identity_secret_rewrap_test identity_audit_retention_test
# ignore_noninstrumented_modules: memcpy and friends called from inside
# Debian's uninstrumented libraries (RocksDB, libstdc++) are not checked;
# see tests/tsan.supp.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 suppressions=$PWD/tests/tsan.supp"
# Each binary's output goes to build-tsan/tsan-<name>.log; a failure shows
# the first race report (if any) and the end of the log.
tsan_one() {
  local name="$1" binary filter log
  case "$name" in
    storage) binary=storage/identity_storage_test filter='*' ;;
    # Not LoginThrottle.*: its shards are guarded by absl::Mutex, and
    # Debian's Abseil is not built with TSan, so the mutex is invisible to
    # it and the flood test reports false races (its state is checked by
    # the ASan run and by the flood test's count of Argon2 runs). Nor
    # RevocationRace.*: its racing sign-ins go through the same throttle
    # (the race it tests is decided inside the store's transactions; ASan
    # and gcc runs check it).
    auth) binary=auth/identity_auth_test
      filter='-LoginThrottle.*:RevocationRace.*' ;;
    # The same rule keeps out two tests whose threads meet in an
    # absl::Mutex: the test notifier two racing expiry passes share, and
    # the rewrap job's run state (the races they test are decided in the
    # store's transactions, which the other tests here cover).
    key_expiry) binary=auth/identity_key_expiry_test
      filter='-*ReplicasRacingSendEachNoticeOnce*' ;;
    secret_rewrap) binary=auth/identity_secret_rewrap_test
      filter='-*SecretRewrapJobTest.*' ;;
    audit_retention) binary=auth/identity_audit_retention_test filter='*' ;;
  esac
  log="build-tsan/tsan-$name.log"
  if ! "build-tsan/tests/$binary" --gtest_filter="$filter" > "$log" 2>&1; then
    sed -n '/WARNING: ThreadSanitizer/,$p' "$log" | head -n 200
    tail -n 40 "$log"
    echo "tsan $name: FAILED (whole output in $log)"
    return 1
  fi
  echo "tsan $name: $(grep -o 'PASSED.*' "$log")"
}

# One binary per core at a time: most of their time is spent waiting on
# RocksDB, etcd and each other's threads (run one after another, they kept
# the second core mostly idle).
failed=0
running=0
for name in storage auth key_expiry secret_rewrap audit_retention; do
  if ((running >= $(nproc))); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  tsan_one "$name" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
