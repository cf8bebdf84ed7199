#!/usr/bin/env bash
# A bounded mixed load on `ledger serve` from a second process (http_load):
# no error but the expected refusals (429), every acknowledged command in the
# log with all its events and nothing unacknowledged, `ledger verify` passes,
# p99 reported. Usage: http_load_test.sh LEDGER HTTP_LOAD [SECONDS]
# With LEDGER_KAFKA_BOOTSTRAP and HTTP_LOAD_KAFKA=1 the log is a Kafka topic.
set -euo pipefail
LEDGER=$1
LOAD=$2
SECONDS_RUN=${3:-60}
DATA=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT
LOG_ARGS=()
if [[ "${HTTP_LOAD_KAFKA:-0}" == 1 ]]; then
  LOG_ARGS=(--log "kafka://${LEDGER_KAFKA_BOOTSTRAP:?needs LEDGER_KAFKA_BOOTSTRAP}/http-load.$$.$RANDOM")
fi
L() { "$LEDGER" --data "$DATA" "${LOG_ARGS[@]}" "$@"; }

# Tokens: 4 operators (the centre's staff), 20 merchants, 200 consumers.
{
  echo "{\"operators\": ["
  for o in $(seq 0 3); do [[ $o -gt 0 ]] && echo ","; echo "\"$(L token --role operator --id centre-$o --ttl 1h)\""; done
  echo "], \"merchants\": ["
  for m in $(seq 0 19); do [[ $m -gt 0 ]] && echo ","; echo "\"$(L token --role merchant --id m$m --ttl 1h)\""; done
  echo "], \"consumers\": ["
  for u in $(seq 0 199); do [[ $u -gt 0 ]] && echo ","; echo "\"$(L token --role consumer --id u$u --ttl 1h)\""; done
  echo "]}"
} > "$DATA/tokens.json"

"$LEDGER" --data "$DATA" "${LOG_ARGS[@]}" serve --port 0 --threads 32 >"$DATA/serve.out" 2>"$DATA/access.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do [[ -s "$DATA/serve.out" ]] && break; sleep 0.1; done
PORT=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["port"])' "$DATA/serve.out")

rc=0
"$LOAD" --port "$PORT" --tokens "$DATA/tokens.json" --seconds "$SECONDS_RUN" --threads 8 \
  --acked "$DATA/acked.jsonl" >"$DATA/load.json" || rc=$?
cat "$DATA/load.json"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || { echo "FAILED: serve exited with $?"; exit 1; }
SERVER_PID=""
[[ $rc -eq 0 ]] || { echo "FAILED: unexpected errors under load (exit $rc)"; exit 1; }

L export >"$DATA/events.jsonl" 2>/dev/null
L --json verify >"$DATA/verify.json"
python3 - "$DATA" <<'PY'
import json, sys, collections
d = sys.argv[1]
load = json.load(open(f"{d}/load.json"))
acked = [json.loads(l) for l in open(f"{d}/acked.jsonl")]
events = [json.loads(l) for l in open(f"{d}/events.jsonl")]
verify = json.load(open(f"{d}/verify.json"))
by_cmd = collections.Counter(e.get("command_id", "") for e in events)
fail = 0
def check(name, ok):
    global fail
    if not ok:
        print("FAILED:", name); fail += 1
first = {}
for a in acked:
    first.setdefault(a["command_id"], a["events"])
lost = [c for c, n in first.items() if by_cmd.get(c, 0) != n]
check(f"every acknowledged command has its events in the log ({len(lost)} differ: {lost[:5]})", not lost)
unacked = [c for c in by_cmd if c and c not in first]
check(f"no event from an unacknowledged command ({unacked[:5]})", not unacked)
timer_events = by_cmd.get("", 0)
check("log length = acknowledged events + timekeeper events",
      len(events) == sum(first.values()) + timer_events)
check("verify ok", verify.get("ok") is True)
check("some load ran", load["requests"] > 100)
for k, v in load["by_kind"].items():
    bad = {s: n for s, n in v["statuses"].items() if s not in ("200", "201", "429")}
    check(f"{k}: only 200/201/429 ({bad})", not bad)
log = [json.loads(l) for l in open(f"{d}/access.log") if l.startswith("{\"bytes_in\"")]
check("access log has a JSON line per request", len(log) >= load["requests"] * 0.99)
print(json.dumps({"commands_acknowledged": len(first), "events": len(events), "timekeeper_events": timer_events,
                  "requests": load["requests"], "requests_per_s": round(load["requests_per_s"], 1),
                  "p50_ms": round(load["p50_ms"], 2), "p99_ms": round(load["p99_ms"], 2),
                  "rate_limited": load["rate_limited"], "digest": verify["digest"]}))
print(f"{5 - fail} passed, {fail} failed")
sys.exit(1 if fail else 0)
PY
