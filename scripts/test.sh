#!/usr/bin/env bash
# Sets up what is missing and runs every test: the normal build, then the
# whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

echo "== build and test (RelWithDebInfo)"
scripts/build.sh build
ctest --test-dir build --output-on-failure -j2

echo "== build and test (ASan + UBSan)"
scripts/build.sh build-asan -DLEDGER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2
