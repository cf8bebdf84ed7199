#!/usr/bin/env bash
# Consumers' names and phones: sealed in the log, shown to the operator,
# erased by destroying the key, and nothing else changes.
# Usage: personal_data_test.sh PATH/TO/ledger
set -euo pipefail
LEDGER=$1
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
NOW=2026-03-01T10:00:00Z
L() { "$LEDGER" --data "$DATA" --now "$NOW" "$@"; }
pass=0 fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAILED: $1"; fail=$((fail+1)); }
check() {  # check NAME COMMAND...: the command must succeed
  if "${@:2}" >/dev/null 2>&1; then ok; else bad "$1"; fi
}
field() {  # field JSON KEY: the key's value as Python prints it
  python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2], "<absent>"); print("null" if v is None else v)' "$1" "$2"
}
events() { L --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])'; }
# Whether any file under DATA holds these bytes (the log's and the views'
# RocksDB files, their WALs, the key store).
holds() {  # holds HEX: exit 0 if some file under DATA contains these bytes
  python3 -c '
import os, sys
needle = bytes.fromhex(sys.argv[2])
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        with open(os.path.join(root, f), "rb") as fh:
            if needle in fh.read():
                print(os.path.join(root, f)); sys.exit(0)
sys.exit(1)' "$DATA" "$1"
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

NAME1="Zohreh Karimi-Tabrizi" PHONE1="+98 912 555 0147"
NAME2="Dariush Nikpour" PHONE2="0912-555-0199"
complaint() {  # complaint CONSUMER MERCHANT REF [EXTRA]
  echo "{\"merchant_id\":\"$2\",\"consumer_id\":\"$1\",\"reference_number\":\"$3\",\"terminal\":\"T1\",\"purchase_date\":\"2026-02-01\",\"amount\":1500,\"invoice_number\":\"I-$3\",\"category\":\"non_delivery\"${4:-}}"
}
case_of() { field "$1" case_id; }

L register-merchant '{"merchant_id":"m-1","name":"Shop One","licence_date":"2024-01-10","domains":["one.ir"]}' >/dev/null
L register-merchant '{"merchant_id":"m-2","name":"Shop Two","licence_date":"2024-01-10","domains":["two.ir"]}' >/dev/null
c1=$(case_of "$(L --json --as consumer:u-1 file "$(complaint u-1 m-1 R1 ",\"consumer_name\":\"$NAME1\",\"consumer_phone\":\"$PHONE1\"")")")
c2=$(case_of "$(L --json --as consumer:u-1 file "$(complaint u-1 m-2 R2 ",\"consumer_name\":\"$NAME1\"")")")
c3=$(case_of "$(L --json --as consumer:u-2 file "$(complaint u-2 m-1 R3 ",\"consumer_name\":\"$NAME2\",\"consumer_phone\":\"$PHONE2\"")")")
c4=$(case_of "$(L --json --as consumer:u-3 file "$(complaint u-3 m-2 R4)")")
for c in "$c1" "$c2" "$c3"; do L verify-transaction "{\"case_id\":\"$c\"}" >/dev/null; done
L --as merchant:m-1 respond "{\"case_id\":\"$c1\",\"message\":\"Shipped\"}" >/dev/null
NOW=2026-03-06T10:00:00Z
L tick >/dev/null   # c2 and c3 miss their first window

# Bad personal data is refused with the field named, and nothing is written.
n=$(events)
refused() {  # refused NAME EXTRA PATTERN
  if L --as consumer:u-5 file "$(complaint u-5 m-1 "R-$1" "$2")" 2>"$DATA/err" >/dev/null; then
    bad "$1 accepted"
  elif grep -q "$3" "$DATA/err"; then ok; else bad "$1: $(cat "$DATA/err")"; fi
}
refused "phone with letters" ',"consumer_phone":"0912-CALL-ME"' "consumer_phone '0912-CALL-ME' has 'C'"
refused "phone too short" ',"consumer_phone":"12345"' "consumer_phone '12345' has 5 digits"
refused "phone too long" ',"consumer_phone":"+1234567890123456"' "has 16 digits"
refused "name too long" ",\"consumer_name\":\"$(printf 'a%.0s' {1..201})\"" "consumer_name is 201 bytes long; at most 200"
refused "name with a control character" ',"consumer_name":"A\tB"' "consumer_name has a control character"
check "nothing written for refused filings" test "$(events)" = "$n"
check "no key made for refused filings" test "$(ls "$DATA/keys" | grep -c '\.key$')" = 2

# The key store: one key per consumer, for the owner only.
check "keys directory is 0700" test "$(stat -c %a "$DATA/keys")" = 700
for k in "$DATA"/keys/*.key; do check "key file is 0600 and 32 bytes" test "$(stat -c %a:%s "$k")" = 600:32; done

# Before erasure the operator sees them; parties and the stream do not.
j=$(L --json case "$c1")
check "operator sees the name" test "$(field "$j" consumer_name)" = "$NAME1"
check "operator sees the phone" test "$(field "$j" consumer_phone)" = "$PHONE1"
check "personal data present" test "$(field "$j" personal_data)" = present
j=$(L --json case "$c2")
check "second complaint of the same consumer: name, no phone" test "$(field "$j" consumer_name)/$(field "$j" consumer_phone)" = "$NAME1/null"
j=$(L --json --as consumer:u-1 case "$c1")
check "a consumer's view has no name" test "$(field "$j" consumer_name)" = "<absent>"
j=$(L --json case "$c4")
check "a filing without personal data shows none" test "$(field "$j" personal_data)" = "<absent>"
check "history shows the name to the operator" bash -c "'$LEDGER' --data '$DATA' --json history $c1 | grep -qF '$NAME1'"
check "export (JSON) shows the name to the operator" bash -c "'$LEDGER' --data '$DATA' export --case $c1 | grep -qF '\"consumer_phone\":\"$PHONE1\"'"
check "export (CSV) shows the name to the operator" bash -c "'$LEDGER' --data '$DATA' export --format csv --case $c1 | grep -qF '$NAME1'"
if L --as merchant:m-1 export --case "$c1" 2>/dev/null | grep -qF "$NAME1"; then bad "merchant's export shows the name"; else ok; fi
if L export --case "$c1" | grep -q "_sealed"; then bad "export shows ciphertext"; else ok; fi

# No plaintext anywhere on disk: log and views (WAL and tables), before and
# after compaction (ldb decompresses what the tables hold).
for s in "$NAME1" "$PHONE1" "$NAME2" "$PHONE2"; do
  if f=$(holds "$(hex "$s")"); then bad "'$s' in the clear in $f"; else ok; fi
done
for db in log views; do
  ldb --db="$DATA/$db" compact >/dev/null 2>&1 || true
  for cf in $(ldb --db="$DATA/$db" list_column_families 2>/dev/null | grep '^{' | tr -d '{},' ); do
    dump=$(ldb --db="$DATA/$db" --column_family="$cf" --hex scan 2>/dev/null | tr 'A-F' 'a-f')
    [ "$db/$cf" = log/default ] && case "$dump" in *"$(hex "Shop One")"*) ok;; *) bad "ldb cannot read the log";; esac
    for s in "$NAME1" "$PHONE1" "$NAME2" "$PHONE2"; do
      case "$dump" in *"$(hex "$s")"*) bad "'$s' in $db/$cf";; *) ok;; esac
    done
  done
done
if f=$(holds "$(hex "$NAME1")"); then bad "'$NAME1' in the clear after compaction in $f"; else ok; fi

# Everything but personal data, before erasure.
snapshot() {
  for m in m-1 m-2; do L --json merchant "$m"; done
  L --json query analytics --by month,category
  L --json query rank --by delays
  for c in "$c1" "$c2" "$c3" "$c4"; do
    L --json case "$c" | python3 -c 'import json,sys; j=json.load(sys.stdin); [j.pop(k,None) for k in ("consumer_name","consumer_phone","personal_data")]; print(json.dumps(j,sort_keys=True))'
  done
  events
}
before=$(snapshot)
key1_file=$DATA/keys/$(python3 -c 'import hashlib; print(hashlib.blake2b(b"u-1", digest_size=16).hexdigest())').key
key1=$(od -An -tx1 "$key1_file" | tr -d ' \n')

out=$(L --json erase u-1)
check "erase reports erased now" test "$(field "$out" erased)" = now
check "the key file is gone" test ! -e "$key1_file"
out=$(L --json erase u-1)
check "erasing twice reports already erased" test "$(field "$out" erased)" = already
if L erase u-9 2>"$DATA/err"; then bad "erasing an unknown consumer succeeded"; else
  check "unknown consumer named" grep -q "no personal data is kept for consumer u-9" "$DATA/err"; fi
if L --as consumer:u-2 erase u-2 2>"$DATA/err"; then bad "a consumer erased"; else
  check "only the operator erases" grep -q "may not erase" "$DATA/err"; fi

check "the log still verifies" L verify
if f=$(holds "$key1"); then bad "the erased key's bytes remain in $f"; else ok; fi
j=$(L --json case "$c1")
check "case view: erased" test "$(field "$j" personal_data):$(field "$j" consumer_name):$(field "$j" consumer_phone)" = erased:null:null
j=$(L --json case "$c2")
check "every case of the consumer is erased" test "$(field "$j" personal_data)" = erased
j=$(L --json case "$c3")
check "another consumer's data stays readable" test "$(field "$j" consumer_name)/$(field "$j" consumer_phone)" = "$NAME2/$PHONE2"
if L export | grep -qF "$NAME1"; then bad "export shows an erased name"; else ok; fi
if L export --format csv | grep -qF "$PHONE1"; then bad "CSV export shows an erased phone"; else ok; fi
if L --json history "$c1" | grep -qF "$NAME1"; then bad "history shows an erased name"; else ok; fi
check "history marks the filing erased" bash -c "'$LEDGER' --data '$DATA' --json history $c1 | grep -q '\"personal_data\":\"erased\"'"
check "profiles, analytics, rankings, cases and counts unchanged" test "$(snapshot)" = "$before"
check "no event was appended by erasure" test "$(events)" = "$(echo "$before" | tail -1)"

# A rebuild from the log cannot bring it back.
check "rebuild" L rebuild
j=$(L --json case "$c1")
check "after rebuild: still erased" test "$(field "$j" personal_data)" = erased
j=$(L --json case "$c3")
check "after rebuild: the other consumer readable" test "$(field "$j" consumer_name)" = "$NAME2"
check "after rebuild: everything else equal" test "$(snapshot)" = "$before"
check "verify after rebuild" L verify

# The consumer files again: a new key; the old filings stay erased.
c5=$(case_of "$(L --json --as consumer:u-1 file "$(complaint u-1 m-1 R5 ",\"consumer_name\":\"$NAME1\"")")")
j=$(L --json case "$c5")
check "a new filing after erasure is readable" test "$(field "$j" consumer_name)" = "$NAME1"
j=$(L --json case "$c1")
check "the erased filing stays erased" test "$(field "$j" personal_data)" = erased

echo "$pass passed, $fail failed"
test "$fail" = 0
