#!/usr/bin/env bash
# The projector killed with SIGKILL at random moments while it replays the
# log into empty views, 20 times, then let finish: `ledger verify` finds the
# views equal to a clean rebuild (each batch of state and offsets is atomic).
# Usage: projector_kill_test.sh PATH/TO/ledger
set -uo pipefail
LEDGER=$1
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
"$LEDGER" --data "$D" --json simulate --merchants 300 --complaints-per-month 2000 --months 2 --seed 3 >/dev/null 2>&1 \
  || { echo "0 passed, 1 failed"; exit 1; }
rm -rf "$D/views"
# How long a whole catch-up from empty views takes here: the kills land at
# random moments within it (between 5 % and 95 % of it), however fast it is.
t0=$(date +%s%N)
"$LEDGER" --data "$D" status >/dev/null 2>&1 || { echo "FAILED: catch-up"; echo "0 passed, 1 failed"; exit 1; }
full_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
rm -rf "$D/views"
echo "a whole catch-up takes ${full_ms} ms"
killed=0
# 20 runs, and more (up to 40) until 10 kills have landed mid-replay.
for run in $(seq 1 40); do
  if (( run > 20 && killed >= 10 )); then break; fi
  runs=$run
  "$LEDGER" --data "$D" status >/dev/null 2>&1 &     # opening catches the views up from the log
  pid=$!
  delay_ms=$(( full_ms * (5 + RANDOM % 91) / 100 ))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)   # Z once it has exited
  landed=0
  if [[ -n "$state" && "$state" != Z ]] && kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); landed=1; fi
  wait "$pid" 2>/dev/null
  # Start over from empty views now and then, so kills land early as well as
  # late, and whenever the catch-up finished before its kill.
  if (( run % 5 == 0 || landed == 0 )); then rm -rf "$D/views"; fi
done
out=$("$LEDGER" --data "$D" --json verify 2>/dev/null); rc=$?
echo "killed $killed of $runs runs mid-replay; verify: $out"
pass=0 fail=0
if [[ $rc -eq 0 ]]; then pass=$((pass+1)); else echo "FAILED: verify after kills"; fail=$((fail+1)); fi
if [[ $killed -ge 10 ]]; then pass=$((pass+1)); else echo "FAILED: only $killed kills landed mid-replay"; fail=$((fail+1)); fi
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
