#!/usr/bin/env bash
# ThreadSanitizer (clang) over the tests of the threaded parts: the ctest label
# `concurrent` (group-commit logs, parallel replay, the HTTP service).
# Needs a broker for the Kafka ones: LEDGER_KAFKA_BOOTSTRAP, as scripts/test.sh sets it.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tsan -G Ninja -DLEDGER_TSAN=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-tsan -j"$(nproc)" --target ledger_tests http_tests
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build-tsan --output-on-failure -j2 -L concurrent
