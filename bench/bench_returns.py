#!/usr/bin/env python3
"""Customer returns benchmark (issue 5): files of 10,000 and 100,000 returns (two details
each, an info text on every tenth) imported end to end through the import job on SQLite,
with the job process's time and peak RSS.

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
        start = time.perf_counter()
        sampler.start()
        result = process_import(args["import_id"])
        seconds = time.perf_counter() - start
        done.set()
    middle = start + seconds / 2
    return dict(result, seconds=round(seconds, 1),
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
               "returns_per_s": round(count / job["seconds"])}
        results.append(row)
        print(json.dumps(row), flush=True)
    (OUT / "returns_results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
