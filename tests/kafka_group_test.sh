#!/usr/bin/env bash
# Two projector processes in one consumer group over a 6-partition topic
# while commands are ingested; one is killed (SIGKILL) mid-way. The survivor
# takes its partitions over and its views' digest equals a clean rebuild's.
# Usage: kafka_group_test.sh PATH/TO/ledger   (needs LEDGER_KAFKA_BOOTSTRAP)
set -euo pipefail
LEDGER=$1
: "${LEDGER_KAFKA_BOOTSTRAP:?start a broker: scripts/kafka-broker.sh start DIR}"
D=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; [[ -n "${KEEP:-}" ]] || rm -rf "$D"; }
trap cleanup EXIT
TOPIC="group-test.$$.$RANDOM"
# exec, so that a background job's $! is the ledger process itself.
L() { exec "$LEDGER" --log "kafka://$LEDGER_KAFKA_BOOTSTRAP/$TOPIC" --partitions 6 "$@"; }

(L --data "$D/writer" status >/dev/null)           # creates the 6-partition topic
L --data "$D/a" --json project --group "g-$TOPIC" --idle-exit 60 >"$D/a.out" 2>"$D/a.err" & pids+=($!); A=$!
L --data "$D/b" --json project --group "g-$TOPIC" --idle-exit 25 >"$D/b.out" 2>"$D/b.err" & pids+=($!); B=$!
L --data "$D/writer" --json simulate --merchants 60 --complaints-per-month 500 --months 2 --seed 5 \
  --step-minutes 240 >"$D/sim.out" 2>/dev/null & pids+=($!); W=$!
sleep 6
kill -9 "$A"                                        # mid-way: the ingest is still running
wait "$W"
wait "$B" || { echo "survivor failed:"; cat "$D/b.err"; exit 1; }
survivor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$D/b.out")
owned=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["owned_partitions"]))' "$D/b.out")
(L --data "$D/clean" --json rebuild >"$D/clean.out" 2>/dev/null)
clean=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$D/clean.out")
events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$D/clean.out")
echo "dir=$D events=$events survivor_partitions=$owned survivor=$survivor clean=$clean"
pass=0; fail=0
if [[ "$owned" == 6 ]]; then pass=$((pass+1)); else echo "FAILED: survivor owns $owned partitions, not 6"; fail=$((fail+1)); fi
if [[ "$survivor" == "$clean" ]]; then pass=$((pass+1)); else echo "FAILED: digests differ"; fail=$((fail+1)); fi
if [[ "$events" -gt 1000 ]]; then pass=$((pass+1)); else echo "FAILED: only $events events"; fail=$((fail+1)); fi
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
