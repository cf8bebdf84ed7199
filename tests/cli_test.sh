#!/usr/bin/env bash
# The `ledger` command as a user runs it: help, JSON in, errors out, nothing
# written on a refusal. Usage: cli_test.sh PATH/TO/ledger
set -euo pipefail
LEDGER=$1
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
L() { "$LEDGER" --data "$DATA" --now 2026-03-01T10:00:00Z "$@"; }
pass=0 fail=0
check() {  # check NAME COMMAND...: the command must succeed
  if "${@:2}" >/dev/null 2>&1; then pass=$((pass+1)); else echo "FAILED: $1"; fail=$((fail+1)); fi
}
events() { L --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])'; }

help=$("$LEDGER" --help)
for sub in register-merchant file verify-transaction respond reply accept declare-sufficient escalate \
           defence verdict remedy withdraw record-violation tick history merchant case submit demo status; do
  check "--help lists $sub" grep -q -- "^  $sub" <<<"$help"
  check "$sub --help" "$LEDGER" "$sub" --help
done

check "register a merchant" L register-merchant \
  '{"merchant_id":"m-1","name":"Shop","licence_date":"2024-01-10","domains":["shop.ir"]}'
out=$(L --json --id c-1 --as consumer:u-1 file \
  '{"merchant_id":"m-1","consumer_id":"u-1","reference_number":"R1","terminal":"T1","purchase_date":"2026-02-01","amount":1500,"invoice_number":"I1","category":"non_delivery"}')
case_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["case_id"])' "$out")
check "verify through stdin" bash -c "echo '{\"case_id\":\"$case_id\"}' | \"$LEDGER\" --data '$DATA' --now 2026-03-01T10:00:00Z verify-transaction"
n=$(events)

# A duplicate complaint exits non-zero and leaves the log as it was.
if L --as consumer:u-2 file '{"merchant_id":"m-1","consumer_id":"u-2","reference_number":"R1","terminal":"T1","purchase_date":"2026-02-01","amount":1500,"invoice_number":"I1","category":"non_delivery"}' 2>"$DATA/err"; then
  echo "FAILED: duplicate complaint accepted"; fail=$((fail+1))
else
  check "duplicate names the first case" grep -q "$case_id" "$DATA/err"
fi
check "log unchanged after duplicate" test "$(events)" = "$n"

# Malformed JSON: non-zero, a message on stderr, nothing written.
if L respond '{"case_id": ' 2>"$DATA/err"; then echo "FAILED: bad JSON accepted"; fail=$((fail+1)); fi
check "bad JSON explained" grep -q "bad command JSON" "$DATA/err"
check "log unchanged after bad JSON" test "$(events)" = "$n"

# A retry of the same command id appends nothing.
check "retry of c-1" L --id c-1 --as consumer:u-1 file \
  '{"merchant_id":"m-1","consumer_id":"u-1","reference_number":"R1","terminal":"T1","purchase_date":"2026-02-01","amount":1500,"invoice_number":"I1","category":"non_delivery"}'
check "log unchanged after retry" test "$(events)" = "$n"

# Time moves: the 72 h window passes.
check "tick" L tick --until 2026-03-04T10:00:01Z
check "delay on the profile" bash -c "\"$LEDGER\" --data '$DATA' --json merchant m-1 | grep -q '\"delays\":1'"
check "history" bash -c "\"$LEDGER\" --data '$DATA' history $case_id | grep -q ResponseDeadlineMissed"
check "many lines from stdin" bash -c "printf '%s\n%s\n' '{\"merchant_id\":\"m-2\",\"name\":\"B\",\"licence_date\":\"2024-01-01\",\"domains\":[\"b.ir\"]}' '{\"merchant_id\":\"m-3\",\"name\":\"C\",\"licence_date\":\"2024-01-01\",\"domains\":[\"c.ir\"]}' | \"$LEDGER\" --data '$DATA' --now 2026-03-05T00:00:00Z register-merchant"
check "submit envelopes" bash -c "echo '{\"id\":\"w1\",\"actor\":{\"role\":\"consumer\",\"id\":\"u-1\"},\"command_type\":\"Withdraw\",\"command\":{\"case_id\":\"$case_id\"}}' | \"$LEDGER\" --data '$DATA' --now 2026-03-05T00:00:00Z submit"
check "demo runs" "$LEDGER" --data "$DATA" demo --months 1

echo "$pass passed, $fail failed"
test "$fail" -eq 0
