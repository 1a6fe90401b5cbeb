#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ (identityd included, so the end-to-end tests run it
# sanitized) and runs the whole test suite there. About 7 minutes of build
# on 2 cores, which is why CI does not run it yet (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIDENTITY_SANITIZE=ON
cmake --build build-asan -j"$(nproc)"
cd build-asan
ctest -j"$(nproc)" --output-on-failure --timeout 900
