"""Push benchmark (issue 6): POST /api/v1/integration/documents at a target rate for a
while against a real server process on loopback, then check every pushed document is
stored once.

    python bench/bench_push.py [--rate 1000] [--seconds 30] [--per-request 1]
                               [--workers 2] [--threads 8] [--clients 32]

The server is gunicorn (`--workers` processes x `--threads` threads) over a fresh
instance folder (SQLite in WAL mode, or DATABASE_URL if set). The integration is in
"on shift closing" mode, so what is measured is taking documents in (authenticate,
validate, store the sync record, answer 202), not applying them. The load is open-loop:
request n is due at start + n / rate, sent by `--clients` threads on keep-alive
connections. Prints the achieved rate, latency percentiles and the stored-once check
(sync records = distinct references = documents sent) as JSON; exits 1 if any is lost.
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env):
    """Schema, a distributor with an integration in shift-closing mode, and its key."""
    flask = [sys.executable, "-m", "flask", "--app", "run", "muara"]

    def run(*args):
        out = subprocess.run([*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"{' '.join(args)}: {out.stderr.strip()}")
        return out.stdout
    run("init")
    run("org", "add", "BENCH", "--name", "Bench", "--kind", "distributor")
    run("integration", "add", "BENCH", "POS", "--kind", "pos")
    run("sync-settings", "POS", "--org", "BENCH", "--mode", "shift_closing")
    return run("apikey", "create", "POS", "--org", "BENCH").strip().splitlines()[0]


def document(n):
    return {"kind": "sales_transaction", "reference": f"S-{n:08d}",
            "date": f"2026-01-01T{(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}",
            "lines": [{"product": "P001", "quantity": "1", "unit_price": "10.5"}]}


class Load:
    def __init__(self, port, key, rate, seconds, per_request, clients):
        self.port, self.key = port, key
        self.rate, self.seconds, self.per_request = rate, seconds, per_request
        self.clients = clients
        self.latencies, self.statuses, self.lock = [], {}, threading.Lock()
        self.next_request = 0
        self.total = int(rate * seconds)

    def take(self):
        with self.lock:
            if self.next_request >= self.total:
                return None
            n = self.next_request
            self.next_request += 1
            return n

    def client(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        latencies, statuses = [], {}
        while True:
            n = self.take()
            if n is None:
                break
            # Open loop: request n is due at start + n / rate.
            delay = self.start + n / self.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            body = json.dumps({"documents": [document(n * self.per_request + i)
                                             for i in range(self.per_request)]})
            sent = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/integration/documents", body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = "error"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            latencies.append(time.perf_counter() - sent)
            statuses[status] = statuses.get(status, 0) + 1
        with self.lock:
            self.latencies.extend(latencies)
            for status, count in statuses.items():
                self.statuses[status] = self.statuses.get(status, 0) + count

    def run(self):
        threads = [threading.Thread(target=self.client) for _ in range(self.clients)]
        self.start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.elapsed = time.perf_counter() - self.start


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--per-request", type=int, default=1, help="documents per request")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn process")
    parser.add_argument("--clients", type=int, default=32, help="load generator threads")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="muara-bench-push-")
    env = dict(os.environ, MUARA_INSTANCE=instance, MUARA_LOG_LEVEL="ERROR")
    env.pop("REDIS_URL", None)
    key = prepare(env)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "--threads",
         str(args.threads), "-b", f"127.0.0.1:{port}", "--log-level", "error",
         "run:create_app()"], cwd=ROOT, env=env)
    try:
        for _ in range(200):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/health")
                break
            except OSError:
                time.sleep(0.1)
        load = Load(port, key, args.rate, args.seconds, args.per_request, args.clients)
        load.run()
    finally:
        server.terminate()
        server.wait(timeout=30)

    stored = stored_count(env)
    sent_documents = load.total * args.per_request
    accepted = load.statuses.get(202, 0) * args.per_request
    result = {
        "target_requests_per_s": args.rate, "seconds": args.seconds,
        "documents_per_request": args.per_request,
        "requests": load.total, "elapsed_s": round(load.elapsed, 2),
        "achieved_requests_per_s": round(load.total / load.elapsed, 1),
        "achieved_documents_per_s": round(sent_documents / load.elapsed, 1),
        "statuses": {str(k): v for k, v in load.statuses.items()},
        "latency_ms": {f"p{p}": round(percentile(load.latencies, p) * 1000, 1)
                       for p in (50, 90, 99)} | {
            "mean": round(statistics.mean(load.latencies) * 1000, 1),
            "max": round(max(load.latencies) * 1000, 1)},
        "documents_sent": sent_documents, "documents_accepted": accepted,
        "sync_records_stored": stored["records"], "distinct_references": stored["distinct"],
        "none_lost": stored["records"] == stored["distinct"] == sent_documents,
        "server": f"gunicorn {args.workers} processes x {args.threads} threads",
        "database": env.get("DATABASE_URL", "SQLite (WAL)"),
    }
    print(json.dumps(result, indent=2))
    return 0 if result["none_lost"] else 1


def stored_count(env):
    code = ("import json; from app import create_app; from app.extensions import db;"
            "from sqlalchemy import text; app = create_app();\n"
            "with app.app_context():\n"
            "    r = db.session.execute(text('select count(*), count(distinct reference) "
            "from sync_record')).one()\n"
            "    print(json.dumps({'records': r[0], 'distinct': r[1]}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
