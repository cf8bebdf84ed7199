#!/usr/bin/env bash
# Sets up what is missing and runs every test: the normal build, then the
# whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer,
# the tests of the threaded parts under ThreadSanitizer, then the fuzz
# targets for FUZZ_SECONDS (default 30) each from their corpora.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== build and test (RelWithDebInfo)"
scripts/build.sh build
# A real Kafka broker for the [kafka] tests (both runs use it); stopped on exit.
KDIR=$(mktemp -d)
trap 'scripts/kafka-broker.sh stop "$KDIR" >/dev/null 2>&1 || true; rm -rf "$KDIR"' EXIT
LEDGER_KAFKA_BOOTSTRAP=$(scripts/kafka-broker.sh start "$KDIR" | tail -1)
export LEDGER_KAFKA_BOOTSTRAP
export LEDGER_KAFKA_DIR=$KDIR
ctest --test-dir build --output-on-failure -j2

echo "== build and test (ASan + UBSan)"
scripts/build.sh build-asan -DLEDGER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# The million-event replay runs in the optimised build only (it would take an
# hour under the sanitizers); everything else runs in both.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2 -LE large

echo "== build and test (ThreadSanitizer, clang): the threaded parts (ctest -L concurrent)"
scripts/tsan.sh

echo "== fuzzing (libFuzzer, clang, ASan + UBSan): ${FUZZ_SECONDS:-30}s per target"
FUZZ_TARGETS=${FUZZ_TARGETS:-command event policy cfpb_csv http} scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
