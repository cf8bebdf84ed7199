#!/usr/bin/env bash
# The demo's year is a fixed, seeded workload: its verified log has one
# digest, recorded here. A change of the rules, the folds or the views'
# layout that moves it must say so by changing this line (and views_format).
set -uo pipefail
LEDGER=$1
EXPECTED=413359ff1a03c1714759ecfa860901445864e1c1bd573de5f31699a9c32a1f55
EXPECTED_EVENTS=209468
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
out=$("$LEDGER" --data "$DIR" demo 2>/dev/null)
rc=$?
year=$(sed -n '/^== 12 months at eNamad scale/,/^== /p' <<<"$out")
digest=$(awk '$1 == "digest" {print $2}' <<<"$year")
events=$(awk '$1 == "verified_events" {print $2}' <<<"$year")
if [[ $rc -eq 0 && $digest == "$EXPECTED" && $events == "$EXPECTED_EVENTS" ]]; then
  echo "the demo's year verifies to $digest over $events events"
  echo "1 passed, 0 failed"
  exit 0
fi
echo "the demo's year: exit $rc, digest '$digest' over '$events' events; expected $EXPECTED over $EXPECTED_EVENTS"
echo "0 passed, 1 failed"
exit 1
