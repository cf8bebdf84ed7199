#!/usr/bin/env bash
# Sets up what is missing, builds, and runs `ledger demo` on the embedded log.
set -euo pipefail
cd "$(dirname "$0")/.."
LEDGER_WITH_KAFKA=0 scripts/install-deps.sh
scripts/build.sh build >&2
exec build/ledger "$@" demo
