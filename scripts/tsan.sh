#!/usr/bin/env bash
# ThreadSanitizer (clang) over the tests of the threaded parts: the ctest label
# `concurrent` (group-commit logs, parallel replay, the HTTP service).
# Needs a broker for the Kafka ones: LEDGER_KAFKA_BOOTSTRAP, as scripts/test.sh sets it.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tsan -G Ninja -DLEDGER_TSAN=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-tsan -j"$(nproc)" --target ledger_tests http_tests
# The Kafka log's contract tests are left out: TSan's runtime crashes in
# getaddrinfo on librdkafka's broker threads (librdkafka is not built with
# TSan; confluentinc/librdkafka#5418). They run on the real broker in the
# normal and ASan builds. tests/tsan.supp names what is suppressed and why.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
  ctest --test-dir build-tsan --output-on-failure -j2 -L concurrent -E '^KafkaLog contract'
