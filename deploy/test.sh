#!/usr/bin/env bash
# Installs what is needed, builds everything warning-free (-Werror), fuzzes
# every parser of outside input for a minute each (ASan + UBSan), and runs
# the whole test suite. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIDENTITY_WERROR=ON
cmake --build build -j"$(nproc)"
./deploy/fuzz.sh "${IDENTITY_FUZZ_SECONDS:-60}"
cd build
ctest -j"$(nproc)" --output-on-failure --timeout 600
