#!/usr/bin/env python3
"""Runs every benchmark of the ledger beside what bounds it on the same machine
in the same run, writes benchmarks/results/<name>.json and prints a markdown
table. Run through scripts/bench.sh (which installs what is missing and builds).

  benchmarks/run.py [--events 1000000] [--large] [--huge] [--name NAME] [--no-kafka]
  benchmarks/run.py --only-ingest [--no-kafka]      # writes results/ingest.json

--events N   the log simulated for replay, audit and db_bench (default 1M)
--large      also 10M events (growth of replay time and RSS)
--huge       also 50M events
--only-ingest  only bench_ingest: embedded log, and a local broker unless --no-kafka
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("LEDGER_BUILD", os.path.join(ROOT, "build"))
LEDGER = os.path.join(BUILD, "ledger")


def run(cmd, env=None, check=True, capture=True):
    """Runs cmd; returns (stdout, seconds, peak RSS in MiB of that child).
    With capture=False its output goes to /dev/null."""
    start = time.monotonic()
    # Each measured command runs in a fresh python child so RUSAGE_CHILDREN
    # reports its own peak, not the largest of all earlier children.
    wrapper = [sys.executable, "-c",
               "import resource,subprocess,sys,json;"
               "p=subprocess.run(sys.argv[2:],stdout=subprocess.PIPE if sys.argv[1]=='1' else subprocess.DEVNULL,"
               "stderr=subprocess.PIPE,text=True);"
               "sys.stdout.write(json.dumps({'rc':p.returncode,'out':p.stdout,'err':p.stderr[-4000:],"
               "'rss':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))", "1" if capture else "0"] + cmd
    p = subprocess.run(wrapper, stdout=subprocess.PIPE, text=True, env=env)
    seconds = time.monotonic() - start
    r = json.loads(p.stdout)
    if check and r["rc"] != 0:
        sys.exit(f"benchmark step failed ({r['rc']}): {' '.join(cmd)}\n{r['err']}")
    return r["out"], seconds, r["rss"] / 1024.0


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON in output:\n" + text[-2000:])


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]
    except OSError:
        mem = "0"
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], stdout=subprocess.PIPE, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           stdout=subprocess.PIPE, text=True).stdout.strip() != ""
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(int(mem) / 1024 / 1024, 1),
            "kernel": platform.release(), "commit": commit, "dirty": dirty,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def simulate(data, events):
    # eNamad's merchants at about 40 times its filing rate: a million events in about two months.
    out, seconds, rss = run([LEDGER, "--data", data, "--json", "simulate", "--complaints-per-month", "100000",
                             "--months", str(events // 400_000 + 2), "--step-minutes", "30", "--max-events", str(events)])
    r = last_json(out)
    return {"events": r["log_events"], "commands": r["commands"], "commands_per_s": r["commands_per_s"],
            "seconds": seconds, "peak_rss_mib": rss}


def replay(data, log_uri=None):
    cmd = [LEDGER, "--data", data, "--json"] + (["--log", log_uri] if log_uri else []) + ["rebuild"]
    out, seconds, rss = run(cmd)
    r = last_json(out)
    r["peak_rss_mib"] = rss
    r["wall_seconds"] = seconds
    return r


def db_bench(work, num, value_size, batch):
    res = {}
    for bench in ("fillseq", "fillrandom"):
        db = os.path.join(work, "db_bench-" + bench)
        shutil.rmtree(db, ignore_errors=True)
        out, seconds, rss = run(["db_bench", f"--benchmarks={bench}", f"--num={num}", f"--value_size={value_size}",
                                 "--key_size=16", f"--batch_size={batch}", "--disable_wal=1", "--sync=0",
                                 "--compression_type=snappy", f"--db={db}", "--threads=1"])
        m = re.search(rf"^{bench}\s*:\s*([\d.]+) micros/op (\d+) ops/sec", out, re.M)
        if not m:
            sys.exit("db_bench printed no rate:\n" + out[-2000:])
        res[bench] = {"ops_per_s": int(m.group(2)), "micros_per_op": float(m.group(1)), "peak_rss_mib": rss}
        shutil.rmtree(db, ignore_errors=True)
    return res


def kafka(work, data, events):
    broker_dir = os.path.join(work, "kafka")
    script = os.path.join(ROOT, "scripts", "kafka-broker.sh")
    out = subprocess.run([script, "start", broker_dir], stdout=subprocess.PIPE, text=True, check=True).stdout
    bootstrap = out.strip().splitlines()[-1]
    try:
        topic = "bench.events"
        uri = f"kafka://{bootstrap}/{topic}"
        out, seconds, _ = run([LEDGER, "--data", data, "--json", "copy-log", "--to", uri])
        copied = last_json(out)
        replayed = replay(data, uri)
        kc = []
        for _ in range(2):  # the first read also warms the broker's page cache
            out, s, rss = run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                               "-X", "isolation.level=read_committed", "-f", "%s"], capture=False)
            kc.append({"seconds": s, "peak_rss_mib": rss})
        best = min(kc, key=lambda k: k["seconds"])
        kcat_rate = events / best["seconds"]
        return {"bootstrap": bootstrap, "copy": copied, "replay": replayed,
                "kcat": {"seconds": best["seconds"], "messages_per_s": kcat_rate, "peak_rss_mib": best["peak_rss_mib"]},
                "ratio_replay_to_kcat": replayed["replay_events_per_s"] / kcat_rate}
    finally:
        subprocess.run([script, "stop", broker_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def audit(data):
    out, seconds, rss = run([os.path.join(BUILD, "benchmarks", "bench_audit"), "--data", data, "--queries", "2000"])
    r = last_json(out)
    r["peak_rss_mib"] = rss
    return r


def append():
    out, seconds, rss = run([os.path.join(BUILD, "benchmarks", "bench_append"), "--records", "4000",
                             "--threads", "1,16,64"])
    rows = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    return {"configurations": rows, "peak_rss_mib": rss}


# Full speed needs enough callers for large groups; the fixed rate needs
# enough that one is free when each command falls due.
INGEST_RUNS = ((0, 40000, 256), (5000, 25000, 64))


def ingest(log_uri=""):
    rows = []
    for rate, commands, threads in INGEST_RUNS:
        cmd = [os.path.join(BUILD, "benchmarks", "bench_ingest"), "--commands", str(commands),
               "--threads", str(threads), "--rate", str(rate)]
        if log_uri:
            cmd += ["--log", log_uri + f"/bench.ingest.{rate}.{os.getpid()}"]
        out, seconds, rss = run(cmd)
        r = last_json(out)
        r["peak_rss_mib"] = rss
        r["command"] = " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)
        rows.append(r)
    return rows


def ingest_kafka(work):
    broker_dir = os.path.join(work, "kafka-ingest")
    script = os.path.join(ROOT, "scripts", "kafka-broker.sh")
    out = subprocess.run([script, "start", broker_dir], stdout=subprocess.PIPE, text=True, check=True).stdout
    bootstrap = out.strip().splitlines()[-1]
    try:
        return ingest(f"kafka://{bootstrap}")
    finally:
        subprocess.run([script, "stop", broker_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ingest_rows(runs, where):
    rows = []
    for c in runs:
        what = "full speed" if not c["target_rate"] else f"at a fixed {fmt(int(c['target_rate']))}/s"
        rows.append((f"Durable ingest, {where}, {c['threads']} callers one command each, {what}",
                     f"{fmt(float(c['commands_per_s']))} commands/s, p50 {c['latency_ms']['p50']:.2f} ms, "
                     f"p99 {c['latency_ms']['p99']:.2f} ms, p99.9 {c['latency_ms']['p999']:.2f} ms",
                     f"{fmt(c['peak_rss_mib'])} MiB",
                     "target ≥ 50,000/s; p99 ≤ 5 ms at 5,000/s" if where == "embedded log" else ""))
    return rows


def only_ingest(args):
    work = args.work or tempfile.mkdtemp(prefix="ledger-bench-")
    started = time.monotonic()
    result = {"machine": machine(), "parameters": vars(args), "command": " ".join(sys.argv)}
    print("ingest, embedded ...", file=sys.stderr)
    result["ingest"] = ingest()
    rows = ingest_rows(result["ingest"], "embedded log")
    if not args.no_kafka:
        print("ingest, kafka ...", file=sys.stderr)
        result["ingest_kafka"] = ingest_kafka(work)
        rows += ingest_rows(result["ingest_kafka"], "Kafka (local broker)")
    result["total_seconds"] = time.monotonic() - started
    path = os.path.join(ROOT, "benchmarks", "results", (args.name or "ingest") + ".json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"\nResults of `{result['command']}`, commit {result['machine']['commit'][:10]}; "
          f"written to {os.path.relpath(path, ROOT)}\n")
    print_table(rows)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def print_table(rows):
    """The results as a markdown table."""
    print("| benchmark | figure | peak RSS | against |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def fmt(x, digits=0):
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--huge", action="store_true")
    ap.add_argument("--name", default=None)
    ap.add_argument("--no-kafka", action="store_true")
    ap.add_argument("--work", default=None, help="scratch folder (default: a new temporary one)")
    ap.add_argument("--only-ingest", action="store_true", help="only bench_ingest (results/ingest.json)")
    args = ap.parse_args()
    if args.only_ingest:
        return only_ingest(args)
    for tool in ("db_bench", "kcat") if not args.no_kafka else ("db_bench",):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run scripts/bench.sh, which installs it")
    work = args.work or tempfile.mkdtemp(prefix="ledger-bench-")
    os.makedirs(work, exist_ok=True)
    started = time.monotonic()
    result = {"machine": machine(), "parameters": vars(args), "command": " ".join(sys.argv)}
    sizes = [args.events] + ([10_000_000] if args.large else []) + ([50_000_000] if args.huge else [])
    growth = []
    main_data = None
    for n in sizes:
        data = os.path.join(work, f"sim-{n}")
        shutil.rmtree(data, ignore_errors=True)
        print(f"simulating {n:,} events ...", file=sys.stderr)
        sim = simulate(data, n)
        print(f"replaying {sim['events']:,} events ...", file=sys.stderr)
        rep = replay(data)
        growth.append({"events": sim["events"], "simulate": sim, "replay": rep})
        if main_data is None:
            main_data = data
    first = growth[0]
    result["simulate"] = first["simulate"]
    result["replay_embedded"] = first["replay"]
    record = max(1, round(first["replay"]["bytes"] / first["replay"]["events"]))
    print("db_bench fillseq, fillrandom ...", file=sys.stderr)
    result["db_bench"] = db_bench(work, first["replay"]["events"], record, 16384)
    result["db_bench"]["parameters"] = {"num": first["replay"]["events"], "value_size": record, "key_size": 16,
                                        "batch_size": 16384, "wal": False, "sync": False}
    rate = first["replay"]["replay_events_per_s"]
    result["ratio_replay_to_fillseq"] = rate / result["db_bench"]["fillseq"]["ops_per_s"]
    result["ratio_replay_to_fillrandom"] = rate / result["db_bench"]["fillrandom"]["ops_per_s"]
    print("audit ...", file=sys.stderr)
    result["audit"] = audit(main_data)
    print("appends ...", file=sys.stderr)
    result["append"] = append()
    print("ingest ...", file=sys.stderr)
    result["ingest"] = ingest()
    if not args.no_kafka:
        print("kafka ...", file=sys.stderr)
        result["replay_kafka"] = kafka(work, main_data, first["replay"]["events"])
        print("ingest, kafka ...", file=sys.stderr)
        result["ingest_kafka"] = ingest_kafka(work)
    result["growth"] = [{"events": g["events"], "replay_events_per_s": g["replay"]["replay_events_per_s"],
                         "replay_seconds": g["replay"]["replay_seconds"],
                         "replay_peak_rss_mib": g["replay"]["peak_rss_mib"],
                         "simulate_commands_per_s": g["simulate"]["commands_per_s"],
                         "simulate_peak_rss_mib": g["simulate"]["peak_rss_mib"]} for g in growth]
    result["total_seconds"] = time.monotonic() - started
    name = args.name or f"run-{first['events']}"
    os.makedirs(os.path.join(ROOT, "benchmarks", "results"), exist_ok=True)
    path = os.path.join(ROOT, "benchmarks", "results", name + ".json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")

    r = result
    rows = [
        ("Simulate (command path, durable)", f"{fmt(r['simulate']['commands_per_s'])} commands/s",
         f"{fmt(r['simulate']['peak_rss_mib'])} MiB", ""),
        ("Replay, embedded, into all projections", f"{fmt(rate)} events/s ({fmt(first['events'])} events)",
         f"{fmt(r['replay_embedded']['peak_rss_mib'])} MiB", "target ≥ 1,000,000 events/s"),
        ("db_bench fillseq (same record size, batch, WAL)", f"{fmt(r['db_bench']['fillseq']['ops_per_s'])} ops/s", "",
         f"replay = {r['ratio_replay_to_fillseq']:.1%} of it (target ≥ 40 %)"),
        ("db_bench fillrandom", f"{fmt(r['db_bench']['fillrandom']['ops_per_s'])} ops/s", "",
         f"replay = {r['ratio_replay_to_fillrandom']:.1%} of it"),
    ]
    if "replay_kafka" in r:
        k = r["replay_kafka"]
        rows += [("Replay, Kafka (local broker), into all projections",
                  f"{fmt(k['replay']['replay_events_per_s'])} events/s", f"{fmt(k['replay']['peak_rss_mib'])} MiB", ""),
                 ("kcat, same topic, raw to /dev/null", f"{fmt(k['kcat']['messages_per_s'])} messages/s", "",
                  f"replay = {k['ratio_replay_to_kcat']:.1%} of it (target ≥ 50 %)")]
    a = r["audit"]
    rows += [("As-of profile (random moments; half on the 10 busiest merchants)",
              f"p50 {a['as_of']['p50_ms']:.2f} ms, p99 {a['as_of']['p99_ms']:.2f} ms",
              f"{fmt(a['peak_rss_mib'])} MiB", "target p99 ≤ 20 ms on 10M events"),
             ("Case history", f"p50 {a['history']['p50_ms']:.2f} ms, p99 {a['history']['p99_ms']:.2f} ms", "", "")]
    for c in r["append"]["configurations"]:
        rows.append((f"Durable append, embedded log, {c.get('threads')} writers",
                     f"{fmt(float(c.get('records_per_s', 0)))} records/s, p99 {c['latency_ms']['p99']:.2f} ms", "", ""))
    rows += ingest_rows(r["ingest"], "embedded log")
    rows += ingest_rows(r.get("ingest_kafka", []), "Kafka (local broker)")
    for g in r["growth"]:
        rows.append((f"Growth: replay of {fmt(g['events'])} events", f"{fmt(g['replay_seconds'], 1)} s "
                     f"({fmt(g['replay_events_per_s'])} events/s)", f"{fmt(g['replay_peak_rss_mib'])} MiB", ""))
    print(f"\nResults of `{result['command']}` on {r['machine']['cpus']} × {r['machine']['cpu']}, "
          f"commit {r['machine']['commit'][:10]}{' (dirty)' if r['machine']['dirty'] else ''}, "
          f"{r['total_seconds']:.0f} s in all; written to {os.path.relpath(path, ROOT)}\n")
    print_table(rows)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
