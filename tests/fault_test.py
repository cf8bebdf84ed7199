#!/usr/bin/env python3
"""Faults under the ledger, each a test: a full disk, a read-only data folder,
damaged RocksDB files, a broker that goes away and comes back, a clock that
jumps. Each checks the error names what is wrong, that nothing acknowledged
is lost or doubled, and that `ledger verify` passes once the fault is gone.

Usage: fault_test.py LEDGER disk-full|read-only|corrupt|broker|clock
Exit 77 (skipped) where the fault cannot be made here: mounting a tmpfs
needs root, the broker test needs LEDGER_KAFKA_BOOTSTRAP and LEDGER_KAFKA_DIR.
"""
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

LEDGER = sys.argv[1]
SRC = os.path.dirname(os.path.abspath(__file__))
fails = []
passes = 0


def check(name, ok):
    global passes
    if ok:
        passes += 1
    else:
        fails.append(name)
        print("FAILED:", name, flush=True)


def run(data, *args, stdin=None, extra=()):
    return subprocess.run([LEDGER, "--data", data, *extra, *args], input=stdin, capture_output=True, text=True)


def skip(why):
    print(f"skipped: {why}")
    sys.exit(77)


def mount_tmpfs(where, size):
    os.makedirs(where, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where], capture_output=True, text=True)
    if r.returncode != 0:
        skip(f"cannot mount a tmpfs here ({r.stderr.strip() or 'mount failed'}); run as root")


def umount(where):
    subprocess.run(["umount", "-l", where], capture_output=True)


def merchant(i):
    return {"merchant_id": f"m-{i}", "name": f"Shop {i}", "licence_date": "2024-01-10", "domains": [f"s{i}.ir"]}


def complaint_envelope(cid, i, merchant_id="m-1"):
    return json.dumps({"id": cid, "actor": {"role": "consumer", "id": "u-1"}, "command_type": "FileComplaint",
                       "command": {"merchant_id": merchant_id, "consumer_id": "u-1", "reference_number": f"R{i}",
                                   "terminal": "T1", "purchase_date": "2026-02-01", "amount": 1000 + i,
                                   "invoice_number": f"I{i}", "category": "non_delivery"}})


def acked_lines(stdout):
    """Command ids the ledger acknowledged, with their event counts."""
    out = {}
    for line in stdout.splitlines():
        try:
            j = json.loads(line)
        except ValueError:
            continue
        if isinstance(j, dict) and "command_id" in j and "events" in j and "error" not in j:
            out.setdefault(j["command_id"], len(j["events"]))
    return out


def log_commands(data, extra=()):
    r = run(data, "export", extra=extra)
    if r.returncode != 0:
        return None
    counts = {}
    for line in r.stdout.splitlines():
        c = json.loads(line).get("command_id", "")
        counts[c] = counts.get(c, 0) + 1
    return counts


def check_acked_once(what, acked, counts):
    wrong = {c: (n, counts.get(c, 0)) for c, n in acked.items() if counts.get(c, 0) != n}
    check(f"{what}: every acknowledged command's events are in the log exactly once "
          f"({len(wrong)} differ, acknowledged vs in log: {list(wrong.items())[:5]})", not wrong)


def verify_ok(what, data, extra=()):
    r = run(data, "--json", "verify", extra=extra)
    check(f"{what}: verify passes ({r.stdout.strip()[:200]} {r.stderr.strip()[-300:]})", r.returncode == 0)


NOW = ["--now", "2026-03-01T10:00:00Z"]


def disk_full(tmp):
    mnt = f"{tmp}/mnt"
    mount_tmpfs(mnt, "4m")
    data = f"{mnt}/data"
    try:
        r = run(data, "register-merchant", json.dumps(merchant(1)), extra=NOW)
        check(f"register on an empty small disk ({r.stderr.strip()})", r.returncode == 0)
        acked, refused, error = {}, [], ""
        i = 0
        for _ in range(200):   # batches until the disk is full
            batch = [(f"c-{i + k}", i + k) for k in range(200)]
            i += 200
            r = run(data, "--json", "submit", stdin="\n".join(complaint_envelope(c, n) for c, n in batch) + "\n",
                    extra=NOW)
            got = acked_lines(r.stdout)
            acked.update(got)
            refused += [c for c, _ in batch if f"{c}" not in got]
            if r.returncode != 0:
                error = r.stderr.strip()
                break
        print(f"disk full after {len(acked)} acknowledged complaints; error: {error[:300]}")
        check(f"the disk filled up and a submission failed ({len(acked)} acknowledged)", error != "")
        check(f"the error says the disk is full ({error[:300]})", "No space left on device" in error)
        # Reading goes on while the disk is full, or fails naming the disk.
        # Free space: grow the tmpfs; the ledger carries on.
        subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
        retry = "\n".join(complaint_envelope(c, int(c[2:])) for c in refused) + "\n"
        r = run(data, "--json", "submit", stdin=retry, extra=NOW)
        check(f"the refused commands go in once space is freed ({r.stderr.strip()[-300:]})", r.returncode == 0)
        again = acked_lines(r.stdout)
        counts = log_commands(data)
        check("the log reads after the disk was full", counts is not None)
        check_acked_once("disk full", {**acked, **again}, counts or {})
        replay = run(data, "--json", "submit", stdin=complaint_envelope(next(iter(acked)), 0) + "\n", extra=NOW)
        check("a retry of a command acknowledged before the disk filled replays it",
              '"replayed":true' in replay.stdout.replace(" ", ""))
        verify_ok("after the disk was full", data)
    finally:
        umount(mnt)


def read_only(tmp):
    mnt = f"{tmp}/mnt"
    mount_tmpfs(mnt, "64m")
    data = f"{mnt}/data"
    try:
        r = run(data, "--json", "register-merchant", json.dumps(merchant(1)), extra=NOW)
        acked = acked_lines(r.stdout)
        r = run(data, "--json", "submit", stdin=complaint_envelope("c-1", 1) + "\n", extra=NOW)
        acked.update(acked_lines(r.stdout))
        check("two commands acknowledged before the folder turns read-only", len(acked) == 2)
        before = {f: os.path.getsize(f) for f in glob.glob(f"{data}/**/*", recursive=True) if os.path.isfile(f)}
        subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
        r = run(data, "--json", "submit", stdin=complaint_envelope("c-2", 2) + "\n", extra=NOW)
        print(f"submit on a read-only folder: exit {r.returncode}: {r.stderr.strip()[:300]}")
        check("a submission on a read-only folder fails", r.returncode != 0)
        check(f"the error says the file system is read-only and names the folder ({r.stderr.strip()[:300]})",
              "Read-only file system" in r.stderr and data in r.stderr)
        r2 = run(data, "status")
        check(f"opening to read fails with the same clear error ({r2.stderr.strip()[:200]})",
              r2.returncode != 0 and "Read-only file system" in r2.stderr)
        subprocess.run(["mount", "-o", "remount,rw", mnt], check=True)
        after = {f: os.path.getsize(f) for f in before if os.path.isfile(f)}
        check("nothing in the folder changed while it was read-only", before == after)
        counts = log_commands(data)
        check_acked_once("read-only", acked, counts or {})
        check("the refused command left no event", (counts or {}).get("c-2", 0) == 0)
        r = run(data, "--json", "submit", stdin=complaint_envelope("c-2", 2) + "\n", extra=NOW)
        check(f"writable again: the refused command goes in ({r.stderr.strip()[:200]})",
              r.returncode == 0 and "c-2" in acked_lines(r.stdout))
        verify_ok("after the folder was read-only", data)
    finally:
        umount(mnt)


def serve(data, extra=()):
    out = f"{data}.serve.out"
    p = subprocess.Popen([LEDGER, "--data", data, *extra, "serve", "--port", "0", "--rate", "0"],
                         stdout=open(out, "w"), stderr=open(f"{data}.serve.err", "w"))
    for _ in range(1200):
        if p.poll() is not None:
            raise SystemExit(f"FAILED: serve exited with {p.returncode}")
        line = open(out).readline()
        if line.endswith("\n"):
            return p, json.loads(line)["port"]
        time.sleep(0.05)
    raise SystemExit("FAILED: serve did not start")


def post(port, token, path, body, key, timeout=120):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request("POST", path, json.dumps(body), {"Authorization": f"Bearer {token}",
                                                    "Content-Type": "application/json", "Idempotency-Key": key})
        r = c.getresponse()
        return r.status, r.read().decode()
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)


def token(data, extra=()):
    return run(data, "token", "--role", "operator", "--id", "centre", "--ttl", "1h", extra=extra).stdout.strip()


def flip(path, at):
    b = bytearray(open(path, "rb").read())
    at = min(at, len(b) - 1)
    b[at] ^= 0xFF
    open(path, "wb").write(bytes(b))
    return at


def corrupt(tmp):
    # A log whose newest records are only in RocksDB's write-ahead log: the
    # server is killed before any flush.
    base = f"{tmp}/base"
    tok = token(base)
    p, port = serve(base)
    acked = {}
    for i in range(40):
        st, body = post(port, tok, "/v1/merchants", merchant(i), f"k{i}")
        if st in (200, 201):
            acked[json.loads(body)["command_id"]] = len(json.loads(body)["events"])
    p.send_signal(signal.SIGKILL)
    p.wait()
    check("40 commands acknowledged before the kill", len(acked) == 40)

    # 1. A byte flipped in the middle of the log's write-ahead log.
    d = f"{tmp}/wal"
    shutil.copytree(base, d)
    wal = max(glob.glob(f"{d}/log/*.log"), key=os.path.getsize)
    at = flip(wal, os.path.getsize(wal) // 2)
    r = run(d, "status")
    print(f"log WAL {os.path.basename(wal)} flipped at {at}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    check(f"a damaged log WAL is reported as corruption, not served ({r.stderr.strip()[:300]})",
          r.returncode != 0 and "corruption" in r.stderr.lower())
    r = run(d, "verify")
    check(f"verify on a damaged log WAL fails naming the log ({r.stderr.strip()[-300:]})",
          r.returncode != 0 and "log" in r.stderr)

    # Recover the WAL into an SST (a clean open), then damage the log's SST.
    d = f"{tmp}/sst"
    shutil.copytree(base, d)
    r = run(d, "status")
    check("a clean open recovers the killed server's log", r.returncode == 0)
    counts = log_commands(d)
    check_acked_once("after the kill", acked, counts or {})
    sst = max(glob.glob(f"{d}/log/*.sst"), key=os.path.getsize)
    at = flip(sst, 64)
    r = run(d, "verify")
    print(f"log SST {os.path.basename(sst)} flipped at {at}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
    check(f"a damaged log SST: verify names the file and the offset ({r.stderr.strip()[-300:]})",
          r.returncode != 0 and "corruption" in r.stderr.lower() and os.path.basename(sst) in r.stderr
          and "offset" in r.stderr)
    r = run(d, "--json", "submit", stdin=complaint_envelope("c-x", 1, "m-1") + "\n", extra=NOW)
    r2 = run(d, "export")
    check(f"a damaged log SST is never served: export fails ({r2.stderr.strip()[-200:]})", r2.returncode != 0)

    # 2. A damaged views SST: reported; the views are rebuilt from the intact log.
    d = f"{tmp}/views"
    shutil.copytree(base, d)
    run(d, "status")
    good = run(d, "--json", "verify")
    check("the intact copy verifies", good.returncode == 0)
    ssts = sorted(glob.glob(f"{d}/views/*.sst"), key=os.path.getsize)
    for s in ssts:
        flip(s, 64)
    r = run(d, "verify")
    print(f"views SSTs flipped: verify exit {r.returncode}: {r.stderr.strip()[-300:]}")
    check(f"damaged views: verify fails naming the views and a file ({r.stderr.strip()[-300:]})",
          r.returncode != 0 and "views" in r.stderr and ".sst" in r.stderr)
    r = run(d, "rebuild")
    check(f"the views are rebuilt from the intact log ({r.stderr.strip()[-300:]})", r.returncode == 0)
    v = run(d, "--json", "verify")
    check(f"rebuilt views verify with the intact copy's digest ({v.stdout.strip()[:200]})",
          v.returncode == 0 and json.loads(v.stdout)["digest"] == json.loads(good.stdout)["digest"])
    check_acked_once("after rebuilding the views", acked, log_commands(d) or {})


def broker(tmp):
    # A broker of its own, fresh, so the outage meets no state left by other
    # tests (their topics, their killed writers' open transactions).
    if not os.environ.get("LEDGER_KAFKA_BOOTSTRAP"):
        skip("needs a Kafka setup (LEDGER_KAFKA_BOOTSTRAP; scripts/test.sh provides it)")
    script = os.path.join(SRC, "..", "scripts", "kafka-broker.sh")
    kdir = f"{tmp}/broker"
    started = subprocess.run([script, "start", kdir], capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(f"FAILED: cannot start a broker for the test: {started.stderr.strip()[-600:]}")
    try:
        outage(script, kdir, started.stdout.strip().splitlines()[-1], tmp)
    finally:
        subprocess.run([script, "stop", kdir], capture_output=True)


def outage(script, kdir, boot, tmp):
    extra = ["--log", f"kafka://{boot}/faults.{os.getpid()}"]
    data = f"{tmp}/data"
    tok = token(data, extra)
    p, port = serve(data, extra)
    acked, lost, errors = {}, set(), []
    lock = threading.Lock()
    stop = threading.Event()
    n = [0]

    def client():
        while not stop.is_set():
            with lock:
                n[0] += 1
                i = n[0]
            st, body = post(port, tok, "/v1/merchants", merchant(i), f"k{i}", timeout=150)
            with lock:
                if st in (200, 201):
                    acked[json.loads(body)["command_id"]] = (i, len(json.loads(body)["events"]))
                else:
                    lost.add(i)
                    errors.append(f"{st} {body[:200]}")
    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(2)
    # An auditor reading the topic from a folder of its own, while the server
    # writes, must not fence the server's writer.
    aud = run(f"{tmp}/auditor", "export", extra=extra)
    check(f"an auditor's export works while the server writes ({aud.stderr.strip()[-200:]})",
          aud.returncode == 0 and aud.stdout.count("\n") > 0)
    # And its verify: the rebuild stops where the auditor's views stopped,
    # though the server goes on appending.
    aud = run(f"{tmp}/auditor", "verify", extra=extra)
    check(f"an auditor's verify passes while the server writes ({aud.stderr.strip()[-200:]})",
          aud.returncode == 0)
    at_export = len(acked)
    time.sleep(1)
    with lock:
        check(f"the server still writes after the auditor's export ({errors[:2]})",
              len(acked) > at_export and not any("fenced" in e for e in errors))
    before = len(acked)
    # A graceful stop: a broker killed mid-commit may leave a transaction
    # without its markers (a hanging transaction), which only an operator's
    # abort ends; the ledger then reports it rather than guess.
    t0 = time.monotonic()
    stopped = subprocess.run([script, "stop", kdir], check=True, capture_output=True, text=True)
    print(f"broker stopped in {time.monotonic() - t0:.1f} s ({stopped.stderr.strip()[-200:]})")
    t0 = time.monotonic()
    cli = run(data, "--json", "register-merchant", json.dumps(merchant(100000)), extra=extra)
    gone_s = time.monotonic() - t0
    last = (cli.stderr.strip().splitlines() or [""])[-1]
    print(f"broker gone: the CLI exits {cli.returncode} after {gone_s:.0f} s: {last[:300]}")
    check("with the broker gone a command fails", cli.returncode != 0)
    check(f"the error names the broker ({last[:300]})", last.startswith("error (") and boot in last)
    during = len(acked)
    subprocess.run([script, "start", kdir], check=True, capture_output=True)
    # Traffic goes on after the broker is back, as it would: until 15 more
    # commands are acknowledged (each writes another transaction), at most 120 s.
    back = len(acked)
    t0 = time.monotonic()
    while len(acked) < back + 15 and time.monotonic() - t0 < 120:
        time.sleep(0.2)
    print(f"after the broker came back: {len(acked) - back} acknowledged in {time.monotonic() - t0:.1f} s")
    stop.set()
    for t in threads:
        t.join()
    print(f"{before} acknowledged before the outage, {during - before} during it, {len(acked)} in all; "
          f"{len(lost)} failed: {errors[:3]}")
    check(f"answers while the broker was gone are errors with a reason ({errors[:3]})",
          all("error" in e for e in errors))
    # Retry every failed request with its key: each goes in once.
    for i in sorted(lost):
        st, body = post(port, tok, "/v1/merchants", merchant(i), f"k{i}")
        check(f"retry k{i} after the broker is back ({st} {body[:200]})", st in (200, 201))
        if st in (200, 201):
            acked[json.loads(body)["command_id"]] = (i, len(json.loads(body)["events"]))
    check("commands went in after the broker came back", len(acked) >= back + 15)
    p.send_signal(signal.SIGTERM)
    check("serve stops cleanly", p.wait(timeout=60) == 0)
    failed_before = len(fails)
    counts = log_commands(data, extra)
    check_acked_once("broker outage", {c: v[1] for c, v in acked.items()}, counts or {})
    left = run(data, "export", "--merchant", "m-100000", extra=extra)
    check(f"the refused CLI command left nothing ({left.stdout[:200]})", left.returncode == 0 and not left.stdout.strip())
    verify_ok("after the broker came back", data, extra)
    if len(fails) > failed_before:
        broker_diagnostics(boot, kdir, f"faults.{os.getpid()}", f"{data}.serve.err")


def broker_diagnostics(boot, kdir, topic, serve_err):
    """What the broker holds and said, for a failure that is hard to reproduce."""
    for iso in ("read_committed", "read_uncommitted"):
        last = []
        for part in range(6):
            r = subprocess.run(["kcat", "-C", "-b", boot, "-X", f"isolation.level={iso}", "-t", topic, "-p",
                                str(part), "-o", "beginning", "-e", "-q", "-f", "%o\\n"],
                               capture_output=True, text=True, timeout=120)
            last.append((r.stdout.split() or ["none"])[-1])
        print(f"diagnostics: last offset per partition, {iso}: {last}")
    lines = [ln for ln in open(serve_err, errors="replace") if "Connect to" not in ln]
    print("diagnostics: serve's stderr, last lines:\n" + "".join(lines[-40:]))
    keep = ("Transaction", "Txn", "txn", "transaction", "marker", "WARN", "ERROR", "Shutting down",
            "shutting down", "shut down", "started", "Skipping recovery")
    lines = [ln for ln in open(os.path.join(kdir, "broker.log"), errors="replace")
             if not ln.startswith("\t") and any(k in ln for k in keep)]
    print("diagnostics: broker.log, last transaction and warning lines:\n" + "".join(ln[:400] for ln in lines[-120:]))


def clock(tmp):
    data = f"{tmp}/data"
    t0 = "2026-03-01T10:00:00Z"

    def at(t, *args, stdin=None):
        return run(data, "--json", *args, stdin=stdin, extra=["--now", t])

    def profile():
        return json.loads(run(data, "--json", "merchant", "m-1").stdout)

    def events():
        return json.loads(run(data, "--json", "status").stdout)["events"]
    check("register", at(t0, "register-merchant", json.dumps(merchant(1))).returncode == 0)
    filed = at(t0, "--as", "consumer:u-1", "file", json.dumps(json.loads(complaint_envelope("x", 1))["command"]))
    case_id = json.loads(filed.stdout)["case_id"]
    check("verify-transaction", at(t0, "verify-transaction", json.dumps({"case_id": case_id})).returncode == 0)
    # Forward ten days at once: the three missed windows fire, in due order, once.
    t1 = "2026-03-11T10:00:00Z"
    check("register after a ten-day jump", at(t1, "register-merchant", json.dumps(merchant(2))).returncode == 0)
    p = profile()
    check(f"the jump fired three delays and marked the complaint unanswered ({p})",
          p["delays"] == 3 and p["unanswered"] == 1)
    n = events()
    check("a second command at the same time fires nothing again",
          at(t1, "register-merchant", json.dumps(merchant(3))).returncode == 0 and events() == n + 1)
    tick = at(t1, "tick")
    check(f"tick at the same time appends nothing ({tick.stdout.strip()})", tick.returncode == 0 and events() == n + 1)
    hist = run(data, "--json", "history", case_id).stdout
    misses = [json.loads(l) for l in hist.splitlines() if "ResponseDeadlineMissed" in l]
    check(f"each window missed exactly once ({len(misses)})", len(misses) == 3)
    # Backwards five days: refused, naming both times; nothing undone.
    back = "2026-03-06T10:00:00Z"
    n = events()
    r = at(back, "register-merchant", json.dumps(merchant(4)))
    print(f"clock behind the ledger: exit {r.returncode}: {r.stderr.strip()}")
    check(f"a command with the clock behind the ledger is refused naming both times ({r.stderr.strip()})",
          r.returncode != 0 and "2026-03-06T10:00:00Z" in r.stderr and "2026-03-11T10:00:00Z" in r.stderr)
    r = at(back, "tick")
    check("tick behind the ledger is refused", r.returncode != 0 and "2026-03-11T10:00:00Z" in r.stderr)
    check("nothing written while the clock was behind", events() == n)
    p = profile()
    check(f"the delays stay after the backwards jump ({p})", p["delays"] == 3 and p["unanswered"] == 1)
    # The clock returns: the merchant answers, the unanswered mark decays once.
    t2 = "2026-03-12T10:00:00Z"
    check("respond after the clock came back", at(t2, "--as", "merchant:m-1", "respond",
                                                  json.dumps({"case_id": case_id, "message": "sorry"})).returncode == 0)
    check("verify after the jumps", run(data, "verify").returncode == 0)


def main():
    fault = sys.argv[2]
    tmp = tempfile.mkdtemp(prefix=f"fault-{fault}-")
    try:
        {"disk-full": disk_full, "read-only": read_only, "corrupt": corrupt, "broker": broker,
         "clock": clock}[fault](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passes} passed, {len(fails)} failed")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
