#!/usr/bin/env python3
"""The peer ratio of issue 15: Muara's `muara import --wait` against django-import-export
4.4 on the same 6-column open-invoice .xlsx, in the same run.

    python bench/bench_peer_django.py                        # Muara 100,000 rows, peer 10,000
    python bench/bench_peer_django.py --peer-rows 100000     # the peer on the full file too

The peer runs in its own virtual environment, bench-out/peer-venv (python -m venv, then pip
installs django, django-import-export==4.4.* and openpyxl from the package registry): it is
not a dependency of Muara. A minimal Django project is written to a temporary folder: one
app with an OpenInvoice model of the file's 6 columns on SQLite, and a ModelResource mapping
the file's headers, keyed by the invoice number (an upsert, as Muara's import is). The
file is bench_import.py's generator's (the same rows, the same cells). The peer is timed
from loading the workbook to the end of import_data (Django's start-up left out); Muara
is timed as the whole `muara import FILE --wait` command (`python -m app`), start-up
included, on a fresh SQLite database holding bench_import.py's distributor.

django-import-export needs a few minutes for 100,000 rows on this machine, so by default
it imports the first 10,000 rows of the file (a file of its own, generated the same way)
and the figure's name says so; rows/s is what is compared.

The last stdout lines are JSON lines {"figure", "value", "unit", "against",
"against_value", "ratio", "target", "met"} (bench/run_all.py collects them).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out"
VENV = OUT / "peer-venv"
PEER_PACKAGES = ("django", "django-import-export==4.4.*", "openpyxl")
TARGET_RATIO = 60  # issue 15: at least 60x django-import-export's rows/s
MARK = "PEER-RESULT "

sys.path.insert(0, str(ROOT / "bench"))
import bench_import  # noqa: E402 - the generator and the distributor's world

SETTINGS = """
SECRET_KEY = "bench"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "import_export",
                  "invoices"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": %(db)r}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

MODELS = """
from django.db import models


class OpenInvoice(models.Model):
    invoice_number = models.CharField(max_length=50, unique=True)
    customer_code = models.CharField(max_length=50)
    invoice_date = models.DateField()
    balance = models.DecimalField(max_digits=18, decimal_places=2)
    customer_po = models.CharField(max_length=50, blank=True, null=True)
    location_code = models.CharField(max_length=20, blank=True, null=True)
"""

RUNNER = """
import json, os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
import django
django.setup()
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
import tablib
from import_export import fields, resources
from invoices.models import OpenInvoice


class OpenInvoiceResource(resources.ModelResource):
    invoice_number = fields.Field(attribute="invoice_number", column_name="Invoice #")
    customer_code = fields.Field(attribute="customer_code", column_name="Customer Code")
    invoice_date = fields.Field(attribute="invoice_date", column_name="Invoice Date")
    balance = fields.Field(attribute="balance", column_name="Invoice Balance")
    customer_po = fields.Field(attribute="customer_po", column_name="Customer PO")
    location_code = fields.Field(attribute="location_code", column_name="Location Code")

    class Meta:
        model = OpenInvoice
        import_id_fields = ("invoice_number",)
        fields = ("invoice_number", "customer_code", "invoice_date", "balance",
                  "customer_po", "location_code")


started, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as handle:
    dataset = tablib.Dataset().load(handle.read(), format="xlsx")
result = OpenInvoiceResource().import_data(dataset, dry_run=False, raise_errors=True)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print("%(mark)s" + json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": len(dataset),
                               "errors": len(result.row_errors()),
                               "stored": OpenInvoice.objects.count()}))
"""


def log(message):
    print(message, file=sys.stderr, flush=True)


def peer_python():
    """The peer's own virtual environment, made once."""
    python = VENV / "bin" / "python"
    if not (python.exists() and subprocess.run(
            [str(python), "-c", "import django, import_export, openpyxl"],
            capture_output=True).returncode == 0):
        log(f"creating {VENV} (django, django-import-export 4.4, openpyxl) ...")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    version = subprocess.run([str(python), "-c", "import import_export; "
                              "print(import_export.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    return python, version


def time_peer(python, path):
    with tempfile.TemporaryDirectory(prefix="muara-peer-") as folder:
        folder = Path(folder)
        (folder / "invoices").mkdir()
        (folder / "invoices" / "__init__.py").write_text("")
        (folder / "invoices" / "models.py").write_text(MODELS)
        (folder / "settings.py").write_text(SETTINGS % {"db": str(folder / "peer.sqlite3")})
        (folder / "run_peer.py").write_text(RUNNER % {"mark": MARK})
        done = subprocess.run([str(python), str(folder / "run_peer.py"), str(path)],
                              capture_output=True, text=True, cwd=folder)
        for line in done.stdout.splitlines():
            if line.startswith(MARK):
                return json.loads(line[len(MARK):])
        raise SystemExit(f"the peer failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def child_setup(args):
    """A fresh SQLite schema with bench_import.py's distributor, nothing imported."""
    app = bench_import.make_app(args["database_url"])
    with app.app_context():
        bench_import.fresh_world(drop=False)


def time_muara(path):
    with tempfile.TemporaryDirectory(prefix="muara-peer-muara-") as folder:
        url = f"sqlite:///{Path(folder) / 'muara.sqlite'}"
        env = dict(os.environ, MUARA_INSTANCE=folder, DATABASE_URL=url,
                   MUARA_LOG_LEVEL="WARNING")
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, __file__, "--child-setup", json.dumps(
            {"database_url": url})], check=True, cwd=ROOT, env=env, capture_output=True)
        started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, "-m", "app", "import", str(path), "--module",
                               bench_import.MODULE, "--org", "BENCH-DIST", "--wait"],
                              capture_output=True, text=True, cwd=ROOT, env=env)
        seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"muara import failed:\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-3000:]}")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        return {"seconds": seconds, "cpu_seconds": cpu, "rows": summary.get("rows"),
                "accepted": summary.get("accepted"), "rejected": summary.get("rejected")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000, help="Muara's file")
    parser.add_argument("--peer-rows", type=int, default=10_000, help="the peer's file")
    parser.add_argument("--child-setup")
    options = parser.parse_args()
    if options.child_setup:
        child_setup(json.loads(options.child_setup))
        return
    OUT.mkdir(exist_ok=True)
    python, version = peer_python()
    muara_file, _ = bench_import.data_file(OUT, "xlsx", options.rows, 0.0)
    peer_file, _ = bench_import.data_file(OUT, "xlsx", options.peer_rows, 0.0)
    log(f"django-import-export {version} on {options.peer_rows:,} rows ...")
    peer = time_peer(python, peer_file)
    log(f"muara import --wait on {options.rows:,} rows ...")
    muara = time_muara(muara_file)
    peer_speed = peer["rows"] / peer["seconds"]
    muara_speed = muara["rows"] / muara["seconds"]
    detail = {"muara": muara, "peer": dict(peer, version=version)}
    print(json.dumps(detail), flush=True)
    peer_label = (f"django-import-export {version} rows/s "
                  f"({options.peer_rows:,}-row .xlsx, same generator)")
    name = (f"peer ratio: muara import --wait rows/s ({options.rows:,}-row .xlsx, whole "
            f"command, SQLite) against django-import-export ({options.peer_rows:,} rows)")
    cpu_muara = muara["rows"] / muara["cpu_seconds"]
    cpu_peer = peer["rows"] / peer["cpu_seconds"]
    for figure, value, against in (
            (name + ", wall clock", muara_speed, peer_speed),
            (name + ", per CPU second (the machine's other load left out)", cpu_muara,
             cpu_peer)):
        ratio = value / against
        print(json.dumps({
            "figure": figure, "value": round(value), "unit": "rows/s", "against": peer_label,
            "against_value": round(against, 1), "ratio": round(ratio, 1),
            "target": f">= {TARGET_RATIO}x", "met": ratio >= TARGET_RATIO}), flush=True)


if __name__ == "__main__":
    main()
