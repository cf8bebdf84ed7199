#!/usr/bin/env bash
# The public merchant profile page in a real browser (headless Chromium):
# Persian right to left and English, every indicator and each month of the
# 12-month chart equal to the API's numbers, and a screenshot of each.
# Usage: http_page_test.sh LEDGER [SCREENSHOT_DIR]. Exits 77 (skipped) when
# Chromium is not installed.
set -euo pipefail
LEDGER=$1
SHOTS=${2:-$(mktemp -d)}
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z "$CHROME" ]]; then
  echo "SKIPPED: chromium is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
mkdir -p "$SHOTS"
DATA=$(mktemp -d)
SERVER_PID=""
trap '[[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$DATA"' EXIT
at() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
L() { "$LEDGER" --data "$DATA" --now "$1" "${@:2}" >/dev/null; }
file() {  # file WHEN REF: a complaint by u-1 against m-1, accepted at once; prints the case id
  "$LEDGER" --data "$DATA" --now "$1" --json --as consumer:u-1 file \
    "{\"merchant_id\":\"m-1\",\"consumer_id\":\"u-1\",\"reference_number\":\"$2\",\"terminal\":\"T1\",\"purchase_date\":\"$(date -u -d "$1 -3 days" +%Y-%m-%d)\",\"amount\":250000,\"invoice_number\":\"I-$2\",\"category\":\"non_delivery\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["case_id"])'
}
L "$(at '-11 months')" register-merchant '{"merchant_id":"m-1","name":"Digikala Test","licence_date":"2023-05-01","domains":["shop.example"],"star_level":"star3"}'
L "$(at '-11 months')" record-violation '{"merchant_id":"m-1","level":2,"rule":"no price label"}'
# Month -9: two complaints, one answered late (a delay), one resolved.
t=$(at '-9 months'); a=$(file "$t" A); L "$t" verify-transaction "{\"case_id\":\"$a\"}"
b=$(file "$t" B); L "$t" verify-transaction "{\"case_id\":\"$b\"}"
L "$(at '-9 months +1 day')" --as merchant:m-1 respond "{\"case_id\":\"$b\",\"message\":\"refunded\"}"
L "$(at '-9 months +2 days')" --as consumer:u-1 accept "{\"case_id\":\"$b\"}"
L "$(at '-9 months +4 days')" tick
L "$(at '-9 months +4 days')" --as merchant:m-1 respond "{\"case_id\":\"$a\",\"message\":\"late\"}"
# Month -4: three complaints; two answered at once, one never (three delays, unanswered).
t=$(at '-4 months')
answered=()
for r in C D E; do
  c=$(file "$t" $r); L "$t" verify-transaction "{\"case_id\":\"$c\"}"
  [[ $r == C ]] || answered+=("$c")
done
for c in "${answered[@]}"; do
  L "$(at '-4 months +1 hour')" --as merchant:m-1 respond "{\"case_id\":\"$c\",\"message\":\"on its way\"}"
done
L "$(at '-4 months +7 days')" tick
# Month -1: one complaint, answered and accepted.
t=$(at '-1 month'); f=$(file "$t" F); L "$t" verify-transaction "{\"case_id\":\"$f\"}"
L "$(at '-1 month +1 hour')" --as merchant:m-1 respond "{\"case_id\":\"$f\",\"message\":\"ok\"}"
L "$(at '-1 month +2 hours')" --as consumer:u-1 accept "{\"case_id\":\"$f\"}"

# No timekeeper: the numbers stay still between the API read and the page.
"$LEDGER" --data "$DATA" serve --port 0 --tick 0 --no-access-log >"$DATA/serve.out" 2>"$DATA/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do [[ -s "$DATA/serve.out" ]] && break; sleep 0.1; done
PORT=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["port"])' "$DATA/serve.out")
BASE="http://127.0.0.1:$PORT"
curl -sf "$BASE/v1/merchants/m-1" >"$DATA/profile.json"
curl -sf "$BASE/v1/merchants/m-1/months" >"$DATA/months.json"
browse() {  # browse MODE OUT LANG
  "$CHROME" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
    --no-first-run --user-data-dir="$DATA/chrome" --window-size=1000,1400 "$1" "$BASE/merchants/m-1?lang=$3" \
    >"$2" 2>>"$DATA/chrome.log"
}
for lang in fa en; do
  browse --dump-dom "$DATA/$lang.html" "$lang"
  (cd "$SHOTS" && browse --screenshot="$SHOTS/profile-$lang.png" /dev/null "$lang")
done
python3 - "$DATA" "$SHOTS" <<'PY'
import json, sys, struct
from html.parser import HTMLParser
d, shots = sys.argv[1], sys.argv[2]
profile = json.load(open(f"{d}/profile.json"))
months = json.load(open(f"{d}/months.json"))["months"]
FA = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.html, self.by_id, self.bars, self.rows, self.stack = {}, {}, [], {}, []
        self.text_of = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html": self.html = a
        if "id" in a: self.by_id[a["id"]] = a; self.stack.append(a["id"])
        else: self.stack.append(None)
        if tag == "rect" and "bar" in a.get("class", ""): self.bars.append(a)
        if tag == "tr" and "data-month" in a: self.month = a["data-month"]; self.rows[self.month] = {}
        if tag == "td" and a.get("class") in ("complaints", "delays", "resolved"): self.rows[self.month][a["class"]] = a["data-value"]
    def handle_endtag(self, tag):
        if self.stack: self.stack.pop()
    def handle_data(self, data):
        for i in reversed(self.stack):
            if i: self.text_of[i] = self.text_of.get(i, "") + data; break

fail = 0
def check(name, ok):
    global fail
    if not ok: print("FAILED:", name); fail += 1
expect = {"unanswered": profile["unanswered"], "unresolved": profile["unresolved"], "delays": profile["delays"],
          "violations_level1": profile["violations"]["level1"], "violations_level2": profile["violations"]["level2"],
          "violations_level3": profile["violations"]["level3"], "days_since_licence": profile["days_since_licence"]}
check("the ledger has something to show", profile["delays"] + profile["unanswered"] > 0 and sum(m["complaints"] for m in months) == 6)
for lang in ("fa", "en"):
    dom = Dom(); dom.feed(open(f"{d}/{lang}.html").read())
    check(f"{lang}: lang attribute", dom.html.get("lang") == lang)
    check(f"{lang}: direction", dom.html.get("dir") == ("rtl" if lang == "fa" else "ltr"))
    for k, v in expect.items():
        el = dom.by_id.get(k)
        check(f"{lang}: {k} present", el is not None)
        if el is None: continue
        check(f"{lang}: {k} data-value {el.get('data-value')} == API {v}", el.get("data-value") == str(v))
        shown = dom.text_of.get(k, "").strip()
        check(f"{lang}: {k} shows {shown!r} == {v}", shown.translate(FA) == str(v))
        if lang == "fa": check(f"fa: {k} in Persian digits", not any(c.isascii() and c.isdigit() for c in shown))
    check(f"{lang}: star level", dom.by_id.get("star_level", {}).get("data-value") == profile["star_level"])
    check(f"{lang}: status", dom.by_id.get("status", {}).get("data-value") == profile["status"])
    check(f"{lang}: 36 bars", len(dom.bars) == 36)
    for m in months:
        for kind in ("complaints", "delays", "resolved"):
            bar = [b for b in dom.bars if b["data-month"] == m["month"] and kind in b["class"]]
            check(f"{lang}: bar {m['month']} {kind}", len(bar) == 1 and bar[0]["data-value"] == str(m[kind]))
            check(f"{lang}: row {m['month']} {kind}", dom.rows.get(m["month"], {}).get(kind) == str(m[kind]))
        # Bars are drawn to scale: a taller bar for a larger number.
    top = max(max(m[k] for k in ("complaints", "delays", "resolved")) for m in months)
    tall = [b for b in dom.bars if b["data-value"] == str(top)]
    check(f"{lang}: the largest bar is 160 px", tall and all(b["height"] == "160" for b in tall))
    png = open(f"{shots}/profile-{lang}.png", "rb").read()
    check(f"{lang}: screenshot is a PNG", png[:8] == b"\x89PNG\r\n\x1a\n")
    w, h = struct.unpack(">II", png[16:24])
    check(f"{lang}: screenshot is 1000x1400 ({w}x{h})", (w, h) == (1000, 1400))
    check(f"{lang}: screenshot has content ({len(png)} bytes)", len(png) > 20000)
print(f"profile: {json.dumps(expect)}")
print(f"screenshots in {shots}")
print(f"{'1' if fail == 0 else '0'} passed, {fail} failed")
sys.exit(1 if fail else 0)
PY
