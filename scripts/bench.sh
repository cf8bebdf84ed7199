#!/usr/bin/env bash
# Installs what is missing (rocksdb-tools for db_bench, kcat, Java and Maven
# for the Kafka broker), builds, and runs every benchmark (benchmarks/run.py):
# writes benchmarks/results/<name>.json and prints a markdown table.
#   scripts/bench.sh [--events N] [--large] [--huge] [--no-kafka] [--name NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build >&2
scripts/kafka-broker.sh fetch >&2
exec python3 benchmarks/run.py "$@"
