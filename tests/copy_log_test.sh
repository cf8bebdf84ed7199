#!/usr/bin/env bash
# `ledger copy-log`: an embedded ledger copied byte for byte into a new
# Kafka topic gives the same events and the same views' digest when rebuilt
# from the topic; a second copy into the now non-empty topic is refused.
# Usage: copy_log_test.sh PATH/TO/ledger   (needs LEDGER_KAFKA_BOOTSTRAP)
set -euo pipefail
LEDGER=$1
: "${LEDGER_KAFKA_BOOTSTRAP:?start a broker: scripts/kafka-broker.sh start DIR}"
D=$(mktemp -d)
trap '[[ -n "${KEEP:-}" ]] || rm -rf "$D"' EXIT
TOPIC="kafka://$LEDGER_KAFKA_BOOTSTRAP/copy-test.$$.$RANDOM"
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
pass=0 fail=0
expect() {  # expect NAME ACTUAL WANTED
  if [[ "$2" == "$3" ]]; then pass=$((pass+1)); else echo "FAILED: $1: got '$2', want '$3'"; fail=$((fail+1)); fi
}

"$LEDGER" --data "$D/src" simulate --merchants 40 --complaints-per-month 300 --months 1 --seed 3 >/dev/null 2>&1
"$LEDGER" --data "$D/src" --json rebuild >"$D/src.json" 2>/dev/null
"$LEDGER" --data "$D/src" --json copy-log --to "$TOPIC" >"$D/copy.json" 2>"$D/copy.err" \
  || { echo "copy-log failed:"; cat "$D/copy.err"; exit 1; }
"$LEDGER" --data "$D/dst" --log "$TOPIC" --json rebuild >"$D/dst.json" 2>/dev/null
expect "records copied" "$(field "$D/copy.json" records)" "$(field "$D/src.json" events)"
expect "events in the topic" "$(field "$D/dst.json" events)" "$(field "$D/src.json" events)"
expect "digest of the views" "$(field "$D/dst.json" digest)" "$(field "$D/src.json" digest)"
if "$LEDGER" --data "$D/src" copy-log --to "$TOPIC" >/dev/null 2>"$D/again.err"; then
  echo "FAILED: a copy into a non-empty topic was accepted"; fail=$((fail+1))
else
  expect "refusal names the topic" "$(grep -c 'is not empty' "$D/again.err")" 1
fi
"$LEDGER" --data "$D/dst" --log "$TOPIC" --json rebuild >"$D/dst2.json" 2>/dev/null
expect "nothing added by the refused copy" "$(field "$D/dst2.json" events)" "$(field "$D/src.json" events)"
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
