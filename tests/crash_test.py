#!/usr/bin/env python3
"""SIGKILL at random moments during ingest and during projection.

Ingest: `ledger serve` takes commands from several client threads (each with
an Idempotency-Key); the server is killed with SIGKILL after a random delay,
restarted, and every command whose outcome the client never saw is sent
again with the same key. The driver records exactly which commands were
acknowledged (the oracle is the driver's record, never the ledger's view of
itself). At the end:
  - every acknowledged command's events are in the log exactly once
    (a retried command is never doubled),
  - no event belongs to a command that was never submitted,
  - `ledger verify` passes: every hash chain holds and the live views'
    digest equals a clean rebuild's.
Projection: the views are deleted and the catch-up (`ledger status`) or a
rebuild (`ledger rebuild`) is killed at random moments; then verify again.

Usage: crash_test.py LEDGER [--log embedded|kafka] [--kills N]
                            [--projection-kills N] [--seed S] [--max-delay S]
(or CRASH_KILLS, CRASH_PROJECTION_KILLS, CRASH_SEED in the environment)
On Kafka the broker comes from LEDGER_KAFKA_BOOTSTRAP (exit 77 without it).
The seed fixes the kill delays and the commands; prints a JSON summary.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

CLIENTS = 4


class Driver:
    """Submits commands and keeps the oracle: what was acknowledged."""

    def __init__(self, rng, tokens):
        self.rng = rng
        self.tokens = tokens
        self.lock = threading.Lock()
        self.next_id = 0
        self.merchants = []        # acknowledged merchant ids
        self.cases = []            # acknowledged (case id, merchant id) awaiting verification
        self.acked = {}            # command id -> number of events in its first acknowledgement
        self.pending = {}          # key -> request whose outcome is unknown (to retry)
        self.submitted = set()     # every command id ever sent
        self.lost = set()          # keys whose outcome a kill hid (each retried later)
        self.retried_acked = 0     # of those, acknowledged on a retry
        self.errors = []           # unexpected answers

    def make_request(self):
        with self.lock:
            self.next_id += 1
            n = self.next_id
            r = self.rng.random()
            if not self.merchants or r < 0.1:
                m = f"m-{n}"
                return ("operator", "centre", f"k{n}", "/v1/merchants",
                        {"merchant_id": m, "name": f"Shop {n}", "licence_date": "2024-01-10",
                         "domains": [f"s{n}.ir"]}, ("merchant", m))
            if self.cases and r < 0.45:
                case_id, _ = self.cases.pop(self.rng.randrange(len(self.cases)))
                return ("operator", "centre", f"k{n}", f"/v1/complaints/{case_id}/verify-transaction",
                        {}, None)
            m = self.rng.choice(self.merchants)
            u = f"u{self.rng.randrange(len(self.tokens['consumer']))}"
            return ("consumer", u, f"k{n}", "/v1/complaints",
                    {"merchant_id": m, "consumer_id": u, "reference_number": f"R{n}", "terminal": "T1",
                     "purchase_date": "2024-06-01", "amount": 1000 + n, "invoice_number": f"I{n}",
                     "category": "non_delivery"}, ("case", m))

    def send(self, port, req):
        """Sends one request; True when its outcome is known."""
        role, who, key, path, body, learn = req
        token = self.tokens["operator"] if role == "operator" else self.tokens["consumer"][who]
        cid = f"{role}:{who}/{key}"
        with self.lock:
            self.submitted.add(cid)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", path, json.dumps(body),
                         {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                          "Idempotency-Key": key})
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
        except (OSError, http.client.HTTPException):
            with self.lock:
                self.lost.add(key)
                self.pending[key] = req
            return False
        with self.lock:
            self.pending.pop(key, None)
            if resp.status in (200, 201):
                out = json.loads(data)
                if out["command_id"] != cid:
                    self.errors.append(f"{cid}: answered as {out['command_id']}")
                if cid not in self.acked and key in self.lost:
                    self.retried_acked += 1
                self.acked.setdefault(cid, len(out["events"]))
                if learn and learn[0] == "merchant":
                    self.merchants.append(learn[1])
                elif learn:
                    self.cases.append((out["case_id"], learn[1]))
            elif resp.status in (503, 500) and b"unavailable" in data:
                self.pending[key] = req       # e.g. Kafka not reachable yet: retry later
            else:
                self.errors.append(f"{cid} {path}: HTTP {resp.status} {data[:200]!r}")
        return True


def start_server(ledger, data, log_args, out_path):
    out = open(out_path, "w")
    p = subprocess.Popen([ledger, "--data", data, *log_args, "serve", "--port", "0", "--rate", "0",
                          "--threads", "16"], stdout=out, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise SystemExit(f"FAILED: serve exited with {p.returncode} at start ({out_path})")
        with open(out_path) as f:
            line = f.readline()
        if line.endswith("\n"):
            return p, json.loads(line)["port"]
        time.sleep(0.02)
    p.kill()
    raise SystemExit("FAILED: serve did not start within 120 s")


def clients_until(stop, driver, port):
    def run():
        while not stop.is_set():
            with driver.lock:
                retry = next(iter(driver.pending.values()), None)
                if retry:
                    driver.pending.pop(retry[2])
            req = retry or driver.make_request()
            if not driver.send(port, req):
                return
    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    return threads


def ingest_kills(args, rng, ledger, data, log_args, driver):
    landed = 0
    for k in range(args.kills):
        server, port = start_server(ledger, data, log_args, f"{data}/../serve.out")
        stop = threading.Event()
        threads = clients_until(stop, driver, port)
        time.sleep(rng.uniform(0.05, args.max_delay))
        if server.poll() is None:
            server.send_signal(signal.SIGKILL)
            landed += 1
        server.wait()
        stop.set()
        for t in threads:
            t.join()
        if k % 10 == 9:
            print(f"kill {k + 1}: {len(driver.acked)} acknowledged, {len(driver.pending)} to retry",
                  file=sys.stderr, flush=True)
    # A last clean run: every command whose outcome a kill hid is sent again.
    server, port = start_server(ledger, data, log_args, f"{data}/../serve.out")
    for _ in range(20):
        keys = list(driver.pending.values())
        if not keys:
            break
        for req in keys:
            driver.send(port, req)
        time.sleep(0.5)
    server.send_signal(signal.SIGTERM)
    if server.wait(timeout=60) != 0:
        driver.errors.append(f"serve exited with {server.returncode} on SIGTERM")
    return landed


def projection_kills(args, rng, ledger, data, log_args, views):
    # A kill lands only while the process still runs: on a short log many
    # end first, so go on (up to four times as many runs) until as many
    # kills have landed as asked for.
    landed = 0
    for k in range(4 * args.projection_kills):
        if landed >= args.projection_kills:
            break
        if k % 5 == 0:
            shutil.rmtree(views, ignore_errors=True)    # kills land early as well as late
        sub = "rebuild" if k % 2 else "status"
        p = subprocess.Popen([ledger, "--data", data, *log_args, sub],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, args.max_projection_delay))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            landed += 1
        p.wait()
    return landed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ledger")
    ap.add_argument("--log", choices=["embedded", "kafka"], default="embedded")
    ap.add_argument("--kills", type=int, default=int(os.environ.get("CRASH_KILLS", "100")))
    ap.add_argument("--projection-kills", type=int, default=int(os.environ.get("CRASH_PROJECTION_KILLS", "20")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CRASH_SEED", "1")))
    ap.add_argument("--max-delay", type=float, default=0.6, help="longest wait before a kill (s)")
    ap.add_argument("--max-projection-delay", type=float, default=0.5)
    ap.add_argument("--bulk-months", type=int, default=2,
                    help="simulated months added before the projection kills, so replay takes a while")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.mkdtemp(prefix="crash-")
    data = f"{tmp}/data"
    os.mkdir(data)
    log_args = []
    views = f"{data}/views"
    if args.log == "kafka":
        boot = os.environ.get("LEDGER_KAFKA_BOOTSTRAP")
        if not boot:
            print("skipped: LEDGER_KAFKA_BOOTSTRAP is not set (scripts/kafka-broker.sh start DIR)")
            sys.exit(77)
        topic = f"crash.{os.getpid()}.{args.seed}"
        log_args = ["--log", f"kafka://{boot}/{topic}"]
        views = f"{data}/kafka-{topic}/views"
    try:
        def token(role, who):
            return subprocess.run([args.ledger, "--data", data, "token", "--role", role, "--id", who,
                                   "--ttl", "24h"], check=True, capture_output=True, text=True).stdout.strip()
        tokens = {"operator": token("operator", "centre"),
                  "consumer": {f"u{i}": token("consumer", f"u{i}") for i in range(8)}}
        driver = Driver(rng, tokens)
        t0 = time.monotonic()
        landed = ingest_kills(args, rng, args.ledger, data, log_args, driver)
        ingest_s = time.monotonic() - t0

        L = [args.ledger, "--data", data, *log_args]
        events = [json.loads(l) for l in subprocess.run([*L, "export"], check=True, capture_output=True,
                                                         text=True).stdout.splitlines()]
        by_cmd = {}
        for e in events:
            c = e.get("command_id", "")
            by_cmd[c] = by_cmd.get(c, 0) + 1
        fails = []

        def check(name, ok):
            if not ok:
                fails.append(name)
                print("FAILED:", name)
        wrong = {c: (n, by_cmd.get(c, 0)) for c, n in driver.acked.items() if by_cmd.get(c, 0) != n}
        check(f"every acknowledged command's events are in the log exactly once "
              f"({len(wrong)} differ, acknowledged vs in log: {list(wrong.items())[:5]})", not wrong)
        stray = [c for c in by_cmd if c and c not in driver.submitted]
        check(f"no event of a command never submitted ({stray[:5]})", not stray)
        unacked = [c for c in by_cmd if c and c not in driver.acked]
        check(f"every command in the log was acknowledged in the end ({unacked[:5]})", not unacked)
        check(f"no command left with an unknown outcome ({list(driver.pending)[:5]})", not driver.pending)
        check(f"no unexpected answer ({driver.errors[:5]})", not driver.errors)
        check(f"kills landed while the server ran ({landed} of {args.kills})",
              landed >= args.kills * 0.9)
        check("commands were lost to kills and retried", args.kills < 5 or len(driver.lost) > 0)
        v = subprocess.run([*L, "--json", "verify"], capture_output=True, text=True)
        check(f"verify after ingest kills: {v.stdout.strip()} {v.stderr.strip()[-300:]}", v.returncode == 0)
        digest = json.loads(v.stdout).get("digest") if v.returncode == 0 else None

        t1 = time.monotonic()
        if args.projection_kills:
            if args.bulk_months:
                subprocess.run([*L, "simulate", "--merchants", "300", "--complaints-per-month", "2000",
                                "--months", str(args.bulk_months), "--seed", str(args.seed)],
                               check=True, capture_output=True)
            p_landed = projection_kills(args, rng, args.ledger, data, log_args, views)
            check(f"projection kills landed ({p_landed} of {args.projection_kills})",
                  p_landed >= args.projection_kills * 0.5)
            v2 = subprocess.run([*L, "--json", "verify"], capture_output=True, text=True)
            check(f"verify after projection kills: {v2.stdout.strip()} {v2.stderr.strip()[-300:]}",
                  v2.returncode == 0)
        else:
            p_landed = 0
        summary = {"log": args.log, "seed": args.seed, "ingest_kills": landed,
                   "commands_acknowledged": len(driver.acked),
                   "outcomes_lost_to_kills": len(driver.lost),
                   "acknowledged_on_retry": driver.retried_acked,
                   "events": len(events), "ingest_s": round(ingest_s, 1),
                   "projection_kills": p_landed, "projection_s": round(time.monotonic() - t1, 1),
                   "digest": digest}
        print(json.dumps(summary))
        print(f"{'0 failed' if not fails else str(len(fails)) + ' failed'}")
        sys.exit(1 if fails else 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
