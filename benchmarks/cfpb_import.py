#!/usr/bin/env python3
"""Import speed of `ledger import cfpb` on a large file: the real rows of the
four CFPB extracts (../shared/data/cfpb) repeated with fresh Complaint IDs in
the modern 18-column layout, imported into a new ledger. Prints rows/s and
the importer's peak RSS (ru_maxrss) as one JSON line.

Usage: benchmarks/cfpb_import.py [--rows 1000000] [--ledger build/ledger]
                                 [--data-dir ../shared/data/cfpb] [--csv FILE]
                                 [--out RESULTS.json]

--csv FILE keeps the generated file there and reuses it when it exists (it
must have been made with the same --rows)."""
import argparse
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

MODERN = ["Date received", "Product", "Sub-product", "Issue", "Sub-issue", "Consumer complaint narrative",
          "Company public response", "Company", "State", "ZIP code", "Tags", "Consumer consent provided?",
          "Submitted via", "Date sent to company", "Company response to consumer", "Timely response?",
          "Consumer disputed?", "Complaint ID"]
here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=1_000_000)
ap.add_argument("--ledger", default=os.path.join(here, "..", "build", "ledger"))
ap.add_argument("--data-dir", default=os.path.join(here, "..", "..", "shared", "data", "cfpb"))
ap.add_argument("--keep", action="store_true", help="keep the generated file and ledger")
ap.add_argument("--csv", help="where the generated file is kept; reused when it exists")
ap.add_argument("--out", help="also write the result JSON to this file")
args = ap.parse_args()


def norm(name):
    return re.sub(r"[ _-]+", " ", name.replace("?", "")).strip().lower()


alias = {norm(c): c for c in MODERN}
alias.update({"zipcode": "ZIP code", "company response": "Company response to consumer"})
rows = []
for name in sorted(os.listdir(args.data_dir)):
    if not name.endswith(".csv"):
        continue
    with open(os.path.join(args.data_dir, name), newline="", encoding="utf-8") as f:
        recs = list(csv.reader(f))
    h = next(i for i, r in enumerate(recs) if "date received" in [norm(c) for c in r])
    header = [alias[norm(c)] for c in recs[h]]
    for r in recs[h + 1:]:
        if len(r) == len(header):
            d = dict(zip(header, r))
            rows.append([d.get(c, "") for c in MODERN])

work = tempfile.mkdtemp(prefix="cfpb-bench-")
big = args.csv or os.path.join(work, "big.csv")
if not (args.csv and os.path.exists(big)):
    with open(big, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(MODERN)
        for n in range(args.rows):
            r = list(rows[n % len(rows)])
            r[17] = str(90_000_000 + n)
            w.writerow(r)
size = os.path.getsize(big)
start = time.monotonic()
p = subprocess.run([args.ledger, "--data", os.path.join(work, "ledger"), "import", "cfpb", big],
                   capture_output=True, text=True)
secs = time.monotonic() - start
if p.returncode != 0:
    raise SystemExit(p.stderr[-2000:])
summary = json.loads(p.stdout.strip().splitlines()[-1])
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
load = round(os.getloadavg()[0], 1)
# What bounds it: the same events replayed into fresh views by `ledger
# rebuild` (the projections alone, no decisions, no CSV), in the same run.
start = time.monotonic()
r = subprocess.run([args.ledger, "--data", os.path.join(work, "ledger"), "--json", "rebuild"],
                   capture_output=True, text=True)
if r.returncode != 0:
    raise SystemExit(r.stderr[-2000:])
rebuilt = json.loads(r.stdout.strip().splitlines()[-1])
events = rebuilt["events"]
rebuild_secs = time.monotonic() - start
commit = subprocess.run(["git", "-C", here, "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True).stdout.strip()
result = {"rows": summary["rows"], "imported": summary["imported"], "rejected": len(summary["rejected"]),
          "file_bytes": size, "seconds": round(secs, 1), "rows_per_s": round(summary["rows"] / secs),
          "peak_rss_mib": round(rss / 1024), "events": events,
          "events_per_row": round(events / max(1, summary["imported"]), 2),
          "import_events_per_s": round(events / secs),
          "rebuild_seconds": round(rebuild_secs, 1),
          "rebuild_replay_events_per_s": round(rebuilt["replay_events_per_s"]),
          "rows_per_s_at_replay_rate": round(rebuilt["replay_events_per_s"] * summary["imported"] / max(1, events)),
          "cpus": os.cpu_count(), "load_avg_1m": load, "commit": commit,
          "command": "python3 benchmarks/cfpb_import.py " + " ".join(sys.argv[1:])}
print(json.dumps(result))
if args.out:
    with open(args.out, "w") as f:
        f.write(json.dumps(result, indent=2) + "\n")
if not args.keep:
    shutil.rmtree(work)
