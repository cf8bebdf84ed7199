#!/usr/bin/env bash
# The command line is small functions: no function in app/cli is longer than
# 80 lines (clang-tidy's readability-function-size, .clang-tidy). $1: the
# build directory with compile_commands.json.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
if ! command -v clang-tidy >/dev/null; then
  echo "clang-tidy is not installed (scripts/install-deps.sh installs it): skipped"
  exit 77
fi
mapfile -t files < <(git ls-files 'app/cli/*.cc')
out=$(clang-tidy -p "$build" --quiet --checks='-*,readability-function-size' \
        --config="{CheckOptions: [{key: readability-function-size.LineThreshold, value: 80}]}" \
        "${files[@]}" 2>&1)
if grep -q 'warning:\|error:' <<<"$out"; then
  grep 'warning:\|error:' <<<"$out"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "${#files[@]} files of app/cli: every function at most 80 lines"
echo "1 passed, 0 failed"
