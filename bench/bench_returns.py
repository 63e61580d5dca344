#!/usr/bin/env python3
"""Customer returns benchmark (issues 5 and 15): files of 10,000 and 100,000 returns (two
details each, an info text on every tenth) imported end to end through the import job on
SQLite, with the job process's time, CPU time and peak RSS.

Its last stdout lines are JSON lines {"figure", "value", "unit", "against",
"against_value", "ratio", "target", "met"} (bench/run_all.py collects them): returns/s at
the largest size against the target of issue 15 (3,000 returns/s), and the peak memory of
the largest size against the smallest (flat: at most 1.25x for 10x the returns).

    python bench/bench_returns.py                    # 10,000 and 100,000 returns
    python bench/bench_returns.py --returns 1000,10000

Each file is generated in bench-out/, stored by create_import in a fresh schema (one
process), then app.services.import_job.process_import runs in a new process whose
getrusage(RUSAGE_SELF).ru_maxrss is the "peak MB" reported (the app's own footprint
included). Peak memory that does not grow with the file is the point: the reader holds
one CustomerReturn at a time and the session is emptied after every batch.
"""
import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
NS = "com.cisag.app.sales.customerreturn.obj.CustomerReturn"
MARK = "BENCH-RESULT "
TARGET_RETURNS_PER_S = 3000  # issue 15, at 100,000 returns
MAX_PEAK_GROWTH = 1.25  # "memory flat": peak at 10x the returns at most this much higher


def generate(path, returns):
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<semiramis xmlns="{NS}">\n')
        for n in range(1, returns + 1):
            text = ("<InfoTexts><language>en</language><text>Return note</text></InfoTexts>"
                    if n % 10 == 0 else "")
            out.write(
                "<CustomerReturn><invoicingPartyData><partner><number>90000</number></partner>"
                "</invoicingPartyData><customerData><customer><number>10010</number>"
                f"</customer></customerData><type><code>KR</code></type>{text}"
                "<Details><item><number>10010</number></item><totalQuantity><amount>"
                f"{n % 50 + 1}</amount><uom><code>pc</code></uom></totalQuantity></Details>"
                "<Details><item><number>10010</number></item><totalQuantity><amount>1.5"
                "</amount></totalQuantity></Details></CustomerReturn>\n")
        out.write("</semiramis>\n")


def make_app(database_url):
    sys.path.insert(0, str(ROOT))
    from app import create_app
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                       "MAIL_ENABLED": False, "REDIS_URL": None,
                       "MAX_CONTENT_LENGTH": 4 * 1024 ** 3})


def child_store(args):
    app = make_app(args["database_url"])
    from sqlalchemy import MetaData

    from app.extensions import db
    from app.services import directory
    from app.services.imports import create_import
    from app.services.returns import add_seed_004_master_data
    from app.setup import init_database
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        init_database()
        dist = directory.add_org("BENCH-DIST", "Bench Distributor", "distributor")
        directory.add_org("BENCH-PRIN", "Bench Principal", "principal")
        directory.connect("BENCH-DIST", "BENCH-PRIN", active=True)
        directory.add_integration("BENCH-DIST", "External", "external")
        add_seed_004_master_data(dist)
        db.session.commit()
        path = Path(args["file"])
        imp = create_import(dist, "customer_returns", path.name, path.read_bytes())
        return {"import_id": imp.id}


def current_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child_job(args):
    """Times the job; peak_mb is ru_maxrss of the whole process (it includes the
    pipeline's spooling of the stored file, whose bytes are read whole from the
    database); second_half_peak_mb is the highest RSS sampled in the second half of the
    run, when only returns are being read and written."""
    import threading
    app = make_app(args["database_url"])
    from app.services.import_job import process_import
    samples, done = [], threading.Event()

    def sample():
        while not done.wait(0.2):
            samples.append((time.perf_counter(), current_mb()))
    sampler = threading.Thread(target=sample, daemon=True)
    with app.app_context():
        start, cpu = time.perf_counter(), time.process_time()
        sampler.start()
        result = process_import(args["import_id"])
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
        done.set()
    middle = start + seconds / 2
    return dict(result, seconds=round(seconds, 1), cpu_seconds=round(cpu, 1),
                peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                second_half_peak_mb=round(max((mb for t, mb in samples if t >= middle),
                                              default=0.0), 1),
                end_mb=round(current_mb(), 1))


def run_child(kind, args):
    done = subprocess.run([sys.executable, __file__, "--child", kind, json.dumps(args)],
                          capture_output=True, text=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise SystemExit(f"{kind} failed:\n{done.stdout}\n{done.stderr}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--returns", default="10000,100000")
    parser.add_argument("--child", nargs=2)
    options = parser.parse_args()
    if options.child:
        kind, args = options.child
        result = {"store": child_store, "job": child_job}[kind](json.loads(args))
        print(MARK + json.dumps(result))
        return
    OUT.mkdir(exist_ok=True)
    results = []
    for count in [int(n) for n in options.returns.split(",")]:
        path = OUT / f"returns_{count}.xml"
        if not path.exists():
            generate(path, count)
        database_url = f"sqlite:///{OUT / f'returns_{count}.db'}"
        stored = run_child("store", {"database_url": database_url, "file": str(path)})
        job = run_child("job", {"database_url": database_url, "import_id": stored["import_id"]})
        row = {"returns": count, "file_mb": round(path.stat().st_size / 1024 ** 2, 1), **job,
               "returns_per_s": round(count / job["seconds"]),
               "returns_per_cpu_s": round(count / max(job["cpu_seconds"], 0.001))}
        results.append(row)
        print(json.dumps(row), flush=True)
    (OUT / "returns_results.json").write_text(json.dumps(results, indent=2) + "\n")
    for line in figures(results):
        print(json.dumps(line), flush=True)


def figure(name, value, unit, against, against_value, target, met):
    return {"figure": name, "value": value, "unit": unit, "against": against,
            "against_value": against_value,
            "ratio": round(value / against_value, 2) if against_value else None,
            "target": target, "met": met}


def figures(results):
    """The JSON lines of issue 15: speed at the largest size, and flat memory."""
    largest, smallest = max(results, key=lambda r: r["returns"]), \
        min(results, key=lambda r: r["returns"])
    size = f"{largest['returns']:,}"
    lines = [
        figure(f"customer returns, {size} returns, SQLite: returns/s (wall clock)",
               largest["returns_per_s"], "returns/s", "target", TARGET_RETURNS_PER_S,
               f">= {TARGET_RETURNS_PER_S} returns/s",
               largest["returns_per_s"] >= TARGET_RETURNS_PER_S),
        figure(f"customer returns, {size} returns, SQLite: returns per CPU second of the "
               "job (the machine's other load left out)", largest["returns_per_cpu_s"],
               "returns/s", "target", TARGET_RETURNS_PER_S,
               f">= {TARGET_RETURNS_PER_S} returns/s",
               largest["returns_per_cpu_s"] >= TARGET_RETURNS_PER_S)]
    if largest is not smallest:
        ratio = largest["peak_mb"] / smallest["peak_mb"]
        lines.append(figure(
            f"customer returns: peak MB at {size} returns against "
            f"{smallest['returns']:,} returns (memory flat)", largest["peak_mb"], "MB",
            f"peak MB at {smallest['returns']:,} returns", smallest["peak_mb"],
            f"<= {MAX_PEAK_GROWTH}x", ratio <= MAX_PEAK_GROWTH))
    else:
        lines.append(figure(f"customer returns, {size} returns: peak MB", largest["peak_mb"],
                            "MB", "none (one size run: flatness not measured)", None,
                            "run two sizes", False))
    return lines


if __name__ == "__main__":
    main()
