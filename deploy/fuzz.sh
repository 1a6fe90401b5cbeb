#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan, in build-fuzz/)
# and runs each for $1 seconds (default 45), one per core at a time, from
# its seed corpus under tests/fuzz/corpus. A crash, leak or sanitizer report fails the script and
# leaves the input under build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-45}"
targets=(credentials phc_string request_decoder sealed_secret signed_request)

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DIDENTITY_FUZZ=ON \
  -DIDENTITY_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/%/_fuzzer}"
mkdir -p build-fuzz/artifacts

fuzz_one() {
  local target="$1" found log runs
  found=$(mktemp -d)  # new inputs stay out of the committed corpus
  log=build-fuzz/artifacts/$target.log
  if ! "build-fuzz/tests/fuzz/${target}_fuzzer" -max_total_time="$seconds" \
      -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/"$target"- \
      "$found" "tests/fuzz/corpus/$target" > "$log" 2>&1; then
    rm -rf "$found"
    tail -n 40 "$log"
    echo "fuzz $target: FAILED (input saved under build-fuzz/artifacts/)"
    return 1
  fi
  runs=$(grep -o 'number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
  echo "fuzz $target: $runs executions in ${seconds}s, no crash"
  rm -rf "$found"
}

# A fuzzer is one thread: run one per core at a time.
failed=0
running=()
for target in "${targets[@]}"; do
  fuzz_one "$target" &
  running+=("$!")
  if ((${#running[@]} >= $(nproc))); then
    for pid in "${running[@]}"; do wait "$pid" || failed=1; done
    running=()
  fi
done
for pid in "${running[@]}"; do wait "$pid" || failed=1; done
exit "$failed"
