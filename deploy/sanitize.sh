#!/usr/bin/env bash
# Builds everything with clang-14, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz/ (the tree deploy/fuzz.sh fuzzes
# in, so the libraries are compiled once for both; identityd included, so
# the end-to-end tests run it sanitized) and runs the whole test suite
# there. A sanitizer report fails the test that triggered it.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/build-env.sh
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DIDENTITY_FUZZ=ON \
  -DIDENTITY_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz -j"$(nproc)"
cd build-fuzz
# The format check is the same in every tree: it runs in build/ only. The
# benchmark tools are not built here (IDENTITY_BENCH=OFF): they measure
# nothing under ASan. The HTTP/2 flood tests assert resident memory, which
# ASan's shadow memory and quarantine make meaningless: gcc build only.
# Twice as many tests as cores at a time, as in deploy/test.sh: many wait
# on sockets, child processes and etcd.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest -j"$(($(nproc) * 2))" --output-on-failure --timeout 900 \
  -E '^(clang_format_is_applied|hostile_network_(open_streams|rapid_reset)(_tls)?)$'
