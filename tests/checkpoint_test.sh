#!/usr/bin/env bash
# Signed checkpoints as an operator and an outside auditor use them: keygen,
# sign, check against the log, check the signature with OpenSSL alone (no
# ledger code), and the errors when the log or the checkpoint was altered.
# Usage: checkpoint_test.sh PATH/TO/ledger
set -euo pipefail
LEDGER=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
DATA=$DIR/data
L() { "$LEDGER" --data "$DATA" --now 2026-03-01T10:00:00Z "$@"; }
pass=0 fail=0
check() {  # check NAME COMMAND...: the command must succeed
  if "${@:2}" >/dev/null 2>&1; then pass=$((pass+1)); else echo "FAILED: $1"; fail=$((fail+1)); fi
}
refuse() {  # refuse NAME PATTERN COMMAND...: must fail, naming PATTERN on stderr
  if "${@:3}" >/dev/null 2>"$DIR/err"; then
    echo "FAILED: $1 (accepted)"; fail=$((fail+1))
  elif grep -q -- "$2" "$DIR/err"; then
    pass=$((pass+1))
  else
    echo "FAILED: $1: stderr lacks '$2':"; cat "$DIR/err"; fail=$((fail+1))
  fi
}

for i in 1 2 3; do
  L register-merchant "{\"merchant_id\":\"m-$i\",\"name\":\"Shop $i\",\"licence_date\":\"2024-01-10\",\"domains\":[\"s$i.ir\"]}" >/dev/null
done

check "keygen" "$LEDGER" checkpoint keygen --key "$DIR/centre.key"
check "secret key is mode 600" test "$(stat -c %a "$DIR/centre.key")" = 600
check "public key is PEM" grep -q "BEGIN PUBLIC KEY" "$DIR/centre.key.pub"
refuse "keygen never overwrites" "never overwritten" "$LEDGER" checkpoint keygen --key "$DIR/centre.key"
check "sign" L checkpoint sign --key "$DIR/centre.key" --out "$DIR/cp1.json"
check "check against the log" L checkpoint check "$DIR/cp1.json" --public-key "$DIR/centre.key.pub"
out=$(L checkpoint check "$DIR/cp1.json" --public-key "$DIR/centre.key.pub")
check "no records after the checkpoint yet" test "$(jq -r .records_after_checkpoint <<<"$out")" = 0
check "signature alone, without a ledger" "$LEDGER" --data "$DIR/none" checkpoint check "$DIR/cp1.json" \
  --public-key "$DIR/centre.key.pub" --signature-only
check "no ledger made by the signature-only check" test ! -e "$DIR/none"

# The outside auditor's way: OpenSSL and the PEM public key, nothing else.
jq -j .statement "$DIR/cp1.json" >"$DIR/statement.txt"
jq -r .signature "$DIR/cp1.json" | base64 -d >"$DIR/signature.bin"
check "OpenSSL verifies the signature" openssl pkeyutl -verify -pubin -inkey "$DIR/centre.key.pub" -rawin \
  -in "$DIR/statement.txt" -sigfile "$DIR/signature.bin"
sed -i 's/records 1 /records 9 /' "$DIR/statement.txt"
if openssl pkeyutl -verify -pubin -inkey "$DIR/centre.key.pub" -rawin -in "$DIR/statement.txt" \
   -sigfile "$DIR/signature.bin" >/dev/null 2>&1; then
  echo "FAILED: OpenSSL accepted an altered statement"; fail=$((fail+1))
else
  pass=$((pass+1))
fi

# Honest appends after a checkpoint keep it valid and are counted.
L register-merchant '{"merchant_id":"m-4","name":"Shop 4","licence_date":"2024-01-10","domains":["s4.ir"]}' >/dev/null
out=$(L checkpoint check "$DIR/cp1.json" --public-key "$DIR/centre.key.pub")
check "one record after the checkpoint" test "$(jq -r .records_after_checkpoint <<<"$out")" = 1
check "verify lists the chain heads" bash -c "\"$LEDGER\" --data '$DATA' --json verify | jq -e '.chain_heads | length == 6'"

# An altered checkpoint, another key, a missing ledger.
jq '.statement |= sub("records 1 "; "records 2 ")' "$DIR/cp1.json" >"$DIR/cp-edited.json"
refuse "edited statement" "signature does not match" L checkpoint check "$DIR/cp-edited.json" \
  --public-key "$DIR/centre.key.pub"
"$LEDGER" checkpoint keygen --key "$DIR/other.key" >/dev/null
refuse "another key" "signature does not match" L checkpoint check "$DIR/cp1.json" --public-key "$DIR/other.key.pub"
refuse "a key that is no key" "not an Ed25519 public key" L checkpoint check "$DIR/cp1.json" --public-key "$DIR/cp1.json"
chmod 644 "$DIR/other.key"
refuse "a readable secret key" "chmod 600" L checkpoint sign --key "$DIR/other.key"
refuse "no ledger" "no ledger here" "$LEDGER" --data "$DIR/none" checkpoint check "$DIR/cp1.json" \
  --public-key "$DIR/centre.key.pub"

# The newest records removed: the chain alone still holds, the checkpoint does not.
L checkpoint sign --key "$DIR/centre.key" --out "$DIR/cp2.json" 2>/dev/null
p=$(jq -r '.statement' "$DIR/cp2.json" | awk '$1=="partition" && $4>0 {print $2; exit}')
last=$(jq -r '.statement' "$DIR/cp2.json" | awk -v p="$p" '$1=="partition" && $2==p {print $6}')
if command -v ldb >/dev/null || command -v rocksdb_ldb >/dev/null; then
  LDB=$(command -v rocksdb_ldb || command -v ldb)
  key=$(printf '0x%08X%016X' "$p" "$last")
  "$LDB" --db="$DATA/log" --key_hex delete "$key" >/dev/null
  refuse "a deleted newest record" "removed from the end" L checkpoint check "$DIR/cp2.json" \
    --public-key "$DIR/centre.key.pub"
  refuse "verify: the views applied a record the log no longer holds" "missing from the log" L verify
else
  echo "note: rocksdb ldb not installed; the removed-record case runs in tamper_test.cc only"
fi

echo "checkpoint: $pass passed, $fail failed"
test "$fail" = 0
