#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bugprone-*, performance-*, function size)
# over the given files, or every .cc file of the layers, with the compile
# commands of build/ (scripts/build.sh makes them). Prints what it finds;
# exits 1 when it finds anything.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${TIDY_BUILD:-build}
[[ -f $build/compile_commands.json ]] || { echo "no $build/compile_commands.json: run scripts/build.sh first"; exit 2; }
if [[ $# -gt 0 ]]; then files=("$@"); else mapfile -t files < <(git ls-files 'common/*.cc' 'engine/*.cc' 'events/*.cc' 'projections/*.cc' 'replay/*.cc' 'app/*.cc'); fi
out=$(clang-tidy -p "$build" --quiet "${files[@]}" 2>/dev/null)
if grep -q 'warning:\|error:' <<<"$out"; then
  echo "$out"
  exit 1
fi
echo "clang-tidy: ${#files[@]} files, nothing found"
