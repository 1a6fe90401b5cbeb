#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (ASan + UBSan, in build-fuzz/)
# and gives each $1 seconds (default 45) of a core, from its seed corpus
# under tests/fuzz/corpus. A crash, leak or sanitizer report fails the
# script and leaves the input under build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/build-env.sh
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
  if ! "build-fuzz/tests/fuzz/${target}_fuzzer" -max_total_time="$wall" \
      -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/"$target"- \
      "$found" "tests/fuzz/corpus/$target" > "$log" 2>&1; then
    rm -rf "$found"
    tail -n 40 "$log"
    echo "fuzz $target: FAILED (input saved under build-fuzz/artifacts/)"
    return 1
  fi
  runs=$(grep -o 'number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
  echo "fuzz $target: $runs executions in ${wall}s, no crash"
  rm -rf "$found"
}

# A fuzzer is one thread. All run at once, for as long as gives each
# `seconds` of a core. (Run one per core at a time instead, the fifth of
# five on two cores ran alone beside an idle core.)
cores=$(nproc)
wall=$seconds
if ((${#targets[@]} > cores)); then
  wall=$(((seconds * ${#targets[@]} + cores - 1) / cores))
fi
for target in "${targets[@]}"; do
  fuzz_one "$target" &
done
failed=0
for target in "${targets[@]}"; do
  wait -n || failed=1
done
exit "$failed"
