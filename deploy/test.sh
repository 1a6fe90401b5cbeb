#!/usr/bin/env bash
# Installs what is needed, builds everything warning-free (-Werror) and runs
# the whole test suite; then fuzzes every parser of outside input for 15 s
# each (from a corpus that keeps what longer runs found), runs the whole
# suite again under ASan + UBSan (one clang build serves both), and the
# concurrency tests under ThreadSanitizer.
# This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
source deploy/build-env.sh  # after the install: it looks for ninja
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DIDENTITY_WERROR=ON
cmake --build build -j"$(nproc)"
# Twice as many tests as cores at a time: many of them wait on sockets,
# child processes and etcd (at -j2 the suite kept 1.3 of 2 cores busy).
(cd build && ctest -j"$(($(nproc) * 2))" --output-on-failure --timeout 600)
./deploy/fuzz.sh "${IDENTITY_FUZZ_SECONDS:-15}"
./deploy/sanitize.sh
./deploy/tsan.sh
