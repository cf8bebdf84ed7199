#!/usr/bin/env bash
# After a seeded workload of at least a million events, a rebuild's digest
# equals the live views' digest, and rebuilding twice gives the same digest.
# Usage: large_replay_test.sh PATH/TO/ledger [MIN_EVENTS]
set -uo pipefail
LEDGER=$1
MIN=${2:-1000000}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
# eNamad's merchants at about 40 times its filing rate, two months: over a million events.
"$LEDGER" --data "$D" --json simulate --complaints-per-month 100000 --months 2 --step-minutes 30 >"$D/sim.json" 2>/dev/null
events=$(json log_events <"$D/sim.json")
live=$("$LEDGER" --data "$D" --json verify 2>/dev/null | json digest)
first=$("$LEDGER" --data "$D" --json rebuild 2>/dev/null | json digest)
second=$("$LEDGER" --data "$D" --json rebuild 2>/dev/null | json digest)
echo "events=$events live=$live rebuild1=$first rebuild2=$second"
pass=0 fail=0
if [[ $events -ge $MIN ]]; then pass=$((pass+1)); else echo "FAILED: only $events events"; fail=$((fail+1)); fi
if [[ -n "$live" && "$live" == "$first" ]]; then pass=$((pass+1)); else echo "FAILED: rebuild differs from live"; fail=$((fail+1)); fi
if [[ "$first" == "$second" ]]; then pass=$((pass+1)); else echo "FAILED: two rebuilds differ"; fail=$((fail+1)); fi
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
