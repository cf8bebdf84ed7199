#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan + UBSan) into
# build-fuzz/ and runs each for SECONDS_PER_TARGET (default 60) on one core,
# one after the other, starting from its seed corpus in tests/fuzz/<target>/.
# New inputs go to build-fuzz/corpus/<target>/ (kept between runs); a crash,
# leak or timeout stops that target, leaves its input in build-fuzz/crashes/
# and makes the script exit non-zero after the other targets ran. Prints the
# executions of each target.
#
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 600        # ten minutes each
#   FUZZ_TARGETS="command policy" scripts/fuzz.sh 30
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "error: SECONDS_PER_TARGET must be a positive whole number, got '$seconds'" >&2
  exit 2
fi
targets=${FUZZ_TARGETS:-command event policy cfpb_csv http}
dir=build-fuzz
cmake -S . -B "$dir" -G Ninja -DLEDGER_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$dir" -j"$(nproc)" --target $(printf 'fuzz_%s ' $targets)

mkdir -p "$dir/crashes" "$dir/logs"
failed=0
summary=""
for t in $targets; do
  mkdir -p "$dir/corpus/$t"
  log=$dir/logs/$t.log
  echo "== fuzz_$t for ${seconds}s"
  status=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$dir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$dir/crashes/$t-" \
    "$dir/corpus/$t" "tests/fuzz/$t" >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [[ $status -ne 0 ]]; then
    failed=1
    echo "fuzz_$t FAILED (exit $status); see $log and $dir/crashes/"
    grep -m5 -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" || true
  fi
  summary+=$(printf '%-10s %12s executions  %s%s' "$t" "$execs" "$cov" "$([[ $status -ne 0 ]] && echo '  FAILED')")$'\n'
done
echo "== executions per target (${seconds}s each)"
printf '%s' "$summary"
exit $failed
