#!/usr/bin/env python3
"""The CFPB importer against the real public extracts (../shared/data/cfpb):
counts as SOURCE.md states them, the export equal to the source field by
field, the projections' counts equal to counts made here straight from the
CSV files with Python's csv module, re-import adding nothing, and malformed
files refused with nothing written.

Usage: cfpb_import_test.py PATH/TO/ledger DATA_DIR"""
import collections
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile

LEDGER, SRC = sys.argv[1], sys.argv[2]
if not os.path.isdir(SRC):
    print(f"skipped: {SRC} not found")
    sys.exit(77)
FILES = {
    "2013": "cfpb_2013_sample.csv",
    "2014": "cfpb_2014_sample.csv",
    "2016": "cfpb_2016_sample.csv",
    "2019": "cfpb_2019_bdm_sample.csv",
}
MODERN = ["Date received", "Product", "Sub-product", "Issue", "Sub-issue", "Consumer complaint narrative",
          "Company public response", "Company", "State", "ZIP code", "Tags", "Consumer consent provided?",
          "Submitted via", "Date sent to company", "Company response to consumer", "Timely response?",
          "Consumer disputed?", "Complaint ID"]
failures = 0
passes = 0


def check(name, cond, detail=""):
    global failures, passes
    if cond:
        passes += 1
    else:
        failures += 1
        print(f"FAILED: {name} {detail}")


def ledger(data, *args, ok=True):
    p = subprocess.run([LEDGER, "--data", data, *args], capture_output=True)
    if ok and p.returncode != 0:
        print(f"ledger {' '.join(args)} failed: {p.stderr.decode()[-2000:]}")
    return p


def summary(p):
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def events(data):
    return json.loads(ledger(data, "--json", "status").stdout)["events"]


def norm(name):
    return re.sub(r"[ _-]+", " ", name.replace("?", "")).strip().lower()


ALIASES = {norm(c): c for c in MODERN}
ALIASES.update({"zipcode": "ZIP code", "company response": "Company response to consumer"})


def iso(d):
    if "/" in d:
        m, dd, y = d.split("/")
        return f"{int(y):04}-{int(m):02}-{int(dd):02}"
    return d


def source_rows(fname):
    """The well-formed rows of a file in the modern layout (dates ISO)."""
    with open(os.path.join(SRC, fname), newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    h = next(i for i, r in enumerate(records) if "date received" in [norm(c) for c in r])
    header = [ALIASES[norm(c)] for c in records[h]]
    rows = []
    for r in records[h + 1:]:
        if len(r) != len(header):
            continue
        d = dict(zip(header, r))
        row = [d.get(c, "") for c in MODERN]
        row[0] = iso(row[0])
        row[13] = iso(row[13]) if row[13] else ""
        rows.append(tuple(row))
    return rows


def export_rows(data):
    p = ledger(data, "export", "cfpb")
    rows = list(csv.reader(io.StringIO(p.stdout.decode("utf-8"), newline="")))
    check("export header is the modern layout", rows[0] == MODERN, str(rows[0]))
    return [tuple(r) for r in rows[1:]]


expected = {  # SOURCE.md
    "2013": dict(rows=1000, imported=1000, rejected=0, header_line=1),
    "2014": dict(rows=8340, imported=8339, rejected=1, header_line=1),
    "2016": dict(rows=3186, imported=3186, rejected=0, header_line=1),
    "2019": dict(rows=6623, imported=6623, rejected=0, header_line=3),
}

tmp = tempfile.mkdtemp(prefix="cfpb-test-")

# Every file imports on its own; counts as SOURCE.md; the export reproduces every field.
for key, fname in FILES.items():
    data = os.path.join(tmp, key)
    s = summary(ledger(data, "import", "cfpb", os.path.join(SRC, fname)))
    e = expected[key]
    check(f"{key}: rows", s["rows"] == e["rows"], str(s["rows"]))
    check(f"{key}: imported", s["imported"] == e["imported"], str(s["imported"]))
    check(f"{key}: rejected", len(s["rejected"]) == e["rejected"], str(s["rejected"]))
    check(f"{key}: header line", s["files"][0]["header_line"] == e["header_line"], str(s["files"]))
    src = source_rows(fname)
    check(f"{key}: the test's reader sees the imported rows", len(src) == e["imported"], str(len(src)))
    out = export_rows(data)
    check(f"{key}: export round trip, every field of every row",
          collections.Counter(out) == collections.Counter(src),
          str(list((collections.Counter(src) - collections.Counter(out)).items())[:2]))

s14 = summary(ledger(os.path.join(tmp, "2014b"), "import", "cfpb", os.path.join(SRC, FILES["2014"])))
cut = s14["rejected"][0]
check("2014: the cut-off line is named", cut["file"] == FILES["2014"] and cut["line"] == 8341 and
      "expected 14 fields, found 13" in cut["reason"], str(cut))
s16 = summary(ledger(os.path.join(tmp, "2016b"), "import", "cfpb", os.path.join(SRC, FILES["2016"])))
check("2016: 11 exact duplicates kept and reported", s16["possible_duplicates"] == 11 and s16["imported"] == 3186,
      str(s16["possible_duplicates"]))

# All four together; a second import adds no event; verify passes.
alld = os.path.join(tmp, "all")
paths = [os.path.join(SRC, f) for f in FILES.values()]
s = summary(ledger(alld, "import", "cfpb", *paths))
check("all: 19,148 imported, 1 rejected", s["imported"] == 19148 and len(s["rejected"]) == 1, str(s)[:300])
n = events(alld)
s2 = summary(ledger(alld, "import", "cfpb", *paths))
check("re-import: nothing imported, all already present", s2["imported"] == 0 and s2["already_present"] == 19148,
      str(s2)[:300])
check("re-import adds no event", events(alld) == n, f"{n} -> {events(alld)}")
check("verify passes after importing all four", ledger(alld, "verify").returncode == 0)

# Projections against counts made here from the CSV files.
src_all = [r for f in FILES.values() for r in source_rows(f)]
by_company = collections.defaultdict(collections.Counter)
for r in src_all:
    c = by_company[r[7]]
    c["complaints"] += 1
    c["open"] += r[14] in ("In progress", "")
    c["timely"] += r[15] == "Yes"
    c["untimely"] += r[15] == "No"
    c["disputed"] += r[16] == "Yes"
merchants = json.loads(ledger(alld, "--json", "query", "merchants").stdout)
got = {m["merchant"]: m for m in merchants}
check("query merchants: one per company", set(got) == set(by_company), str(len(got)))
bad = [name for name, c in by_company.items()
       if any(got.get(name, {}).get(k) != c[k] for k in ("complaints", "open", "timely", "untimely", "disputed"))]
check("query merchants: complaints, open, timely, untimely, disputed equal the CSV's", not bad,
      str([(b, dict(by_company[b]), got.get(b)) for b in bad[:2]]))

DIMS = {"product": 1, "issue": 3, "state": 8, "channel": 12, "company_response": 14}
for dims in (["product", "month"], ["state"], ["issue"], ["channel"], ["company_response"]):
    rows = json.loads(ledger(alld, "--json", "query", "analytics", "--by", ",".join(dims)).stdout)
    got = {tuple(r[d] for d in dims): r["complaints"] for r in rows}
    want = collections.Counter(tuple(r[0][:7] if d == "month" else r[DIMS[d]] for d in dims) for r in src_all)
    check(f"query analytics --by {','.join(dims)} equals the CSV's counts", got == dict(want),
          str(list(set(want.items()) ^ set(got.items()))[:3]))

# A case still "In progress" in the 2014 snapshot is open as of 2014-11-14.
d14 = os.path.join(tmp, "2014")
rows14 = source_rows(FILES["2014"])
inprog = collections.Counter(r[7] for r in rows14 if r[14] == "In progress")
company, k = inprog.most_common(1)[0]
m = json.loads(ledger(d14, "--json", "merchant", company, "--as-of", "2014-11-14").stdout)
check("an In-progress 2014 complaint is open as of 2014-11-14", m["open_complaints"] == k and m["open_complaints"] > 0,
      f"{company}: {m['open_complaints']} open, {k} in progress")
one = next(r for r in rows14 if r[14] == "In progress")
case = json.loads(ledger(d14, "--json", "case", "cfpb-" + one[17]).stdout)
check("its case awaits the company's response", case["status"] == "awaiting_response", str(case.get("status")))

# Rows older than the ledger's latest event are refused, named, nothing written.
d = os.path.join(tmp, "order")
ledger(d, "import", "cfpb", os.path.join(SRC, FILES["2019"]))
n = events(d)
s = summary(ledger(d, "import", "cfpb", os.path.join(SRC, FILES["2013"])))
check("an older import is refused row by row", s["imported"] == 0 and len(s["rejected"]) == 1000 and
      "before the ledger's latest event" in s["rejected"][0]["reason"], str(s)[:300])
check("... and writes nothing", events(d) == n)

# Malformed files: a clear error, nothing written.
HEADER14 = ("Complaint ID,Product,Sub-product,Issue,Sub-issue,State,ZIP code,Submitted via,Date received,"
            "Date sent to company,Company,Company response,Timely response?,Consumer disputed?\r\n")
GOOD = "9000001,Mortgage,,Loan servicing,,CA,94110,Web,10/10/2014,10/10/2014,Acme Bank,Closed,Yes,\r\n"


def malformed(name, content, reason, rc=0, imported=0):
    d = os.path.join(tmp, "bad-" + name)
    f = os.path.join(tmp, name + ".csv")
    with open(f, "wb") as out:
        out.write(content)
    p = ledger(d, "import", "cfpb", f, ok=False)
    s = summary(p)
    check(f"{name}: exit code", p.returncode == rc, str(p.returncode))
    check(f"{name}: the reason is named", any(reason in r["reason"] for r in s["rejected"]), str(s["rejected"])[:300])
    check(f"{name}: only the good rows written", s["imported"] == imported, str(s["imported"]))
    if imported == 0:
        check(f"{name}: nothing written", events(d) == 0)


malformed("unbalanced-quotes", (HEADER14 + '9000002,"Mortgage,,x,,CA,1,Web,10/10/2014,10/10/2014,Acme,Closed,Yes,\r\n'
                                + GOOD).encode(), "never closed")
malformed("no-known-column", b"foo,bar,baz\n1,2,3\n", "no CFPB header", rc=1)
malformed("binary-garbage", bytes(range(256)) * 64 + os.urandom(65536), "no CFPB header", rc=1)
malformed("bad-date", (HEADER14 + GOOD.replace("10/10/2014,10/10", "13/45/2014,10/10")).encode(), "not a date")
malformed("quote-in-field", (HEADER14 + GOOD.replace("Acme Bank", 'Acme "Bank"')).encode(), "quote inside")
big = HEADER14 + GOOD + "9000003," + "x" * (100 * 1024 * 1024) + "\r\n" + GOOD.replace("9000001", "9000004")
malformed("100MB-line", big.encode(), "record longer than", imported=2)

print(f"{passes} passed, {failures} failed")
sys.exit(1 if failures else 0)
