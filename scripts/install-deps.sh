#!/usr/bin/env bash
# Installs the Debian packages the ledger builds, tests and runs with, if any
# are missing. Safe to run again: it does nothing when all are present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config python3
  librocksdb-dev librdkafka-dev flatbuffers-compiler libflatbuffers-dev
  libfmt-dev catch2 libcli11-dev nlohmann-json3-dev libsodium-dev jq
  libcpp-httplib-dev libqrencode-dev libjemalloc-dev curl
  clang-format clang-tidy
)
# clang with libFuzzer and the sanitizer runtimes: the fuzz targets
# (scripts/fuzz.sh) and the ThreadSanitizer build.
PACKAGES+=(clang libclang-rt-14-dev libfuzzer-14-dev)
# The profile page test opens the page in a headless browser.
PACKAGES+=(chromium fonts-dejavu-core)
# For the Kafka broker (scripts/kafka-broker.sh) and the benchmarks.
if [[ "${LEDGER_WITH_KAFKA:-1}" == 1 ]]; then
  PACKAGES+=(kcat rocksdb-tools)
  command -v java >/dev/null || PACKAGES+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || PACKAGES+=(maven)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
