"""The daily consolidation and the retention purge fire on schedule, through RQ's cron
scheduler: as a thread over the embedded queue, and as `muara scheduler` next to real
`muara worker` processes on Redis. The schedule is driven by a short interval; the
daily times are checked as the cron expressions they become."""
import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from rq.cron import get_cron_job_ids
from sqlalchemy import update

from app.background import start_scheduler_thread
from app.extensions import db
from app.models import ImportFile, SalesOrder
from app.queue import queue
from app.scheduling import build_scheduler, daily_cron
from config import env_time
from tests.consolidation_helpers import file_state, import_file, order_file, portal, sync_all
from tests.factories import REDIS_URL, ROOT, count, drain, needs_redis

ROWS = [["SO-1", "2025-02-01", "C001", "P001", 2, 10, None]]


def waiting_and_old_files(app, runner, tmp_path):
    """A file waiting for consolidation, and an old archived file past the retention."""
    portal(app)
    old = import_file(runner, order_file(tmp_path, [["SO-2", "2025-02-01", "C001", "P001", 1, 1,
                                                     None]], "old.xlsx"), "sales_orders",
                      "D2")["import_id"]
    assert sync_all(runner, "P1")["consolidated"] == 1
    waiting = import_file(runner, order_file(tmp_path, ROWS, "new.xlsx"))["import_id"]
    with app.app_context():
        db.session.execute(update(ImportFile).where(ImportFile.id == old).values(
            uploaded_at=dt.datetime.now() - dt.timedelta(days=40)))
        db.session.commit()
    return waiting, old


def test_daily_times_become_cron_expressions_at_that_local_time(app):
    assert daily_cron("02:00") == "0 2 * * *"
    assert daily_cron("23:45") == "45 23 * * *"
    scheduler = build_scheduler(app)
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert {name: job.cron for name, job in jobs.items()} == {
        "muara-daily-consolidation": "0 2 * * *", "muara-retention-purge": "0 3 * * *"}
    assert jobs["muara-daily-consolidation"].args == ("app.services.consolidation.daily_run_job",)
    # After a run at 02:00 local time, the next one is at 02:00 the next day.
    job = jobs["muara-daily-consolidation"]
    ran = dt.datetime(2026, 3, 10, 2, 0).astimezone()
    job.set_enqueue_time(ran.astimezone(dt.timezone.utc))
    assert job.next_enqueue_time.astimezone() == ran + dt.timedelta(days=1)


@pytest.mark.parametrize("value", ["24:00", "7", "07:60", "noon"])
def test_a_bad_time_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("MUARA_CONSOLIDATION_TIME", value)
    with pytest.raises(RuntimeError, match="MUARA_CONSOLIDATION_TIME must be a time of day"):
        env_time("MUARA_CONSOLIDATION_TIME", "02:00")


def test_the_embedded_scheduler_fires_the_daily_run_and_the_purge(app, runner, tmp_path):
    waiting, old = waiting_and_old_files(app, runner, tmp_path)
    stop = start_scheduler_thread(app, interval=1)
    try:
        deadline = time.monotonic() + 30
        with app.app_context():
            connection = queue().connection
            # Fired at once, then again a second later: it is a schedule, not a one-off.
            while len(get_cron_job_ids("muara-daily-consolidation", connection)) < 2:
                assert time.monotonic() < deadline, "the scheduler did not fire twice"
                time.sleep(0.1)
            assert get_cron_job_ids("muara-retention-purge", connection)
    finally:
        stop.set()
    drain(app)  # the embedded worker runs what the scheduler queued
    assert file_state(app, waiting) == ("archived", 1, 0, 0)
    assert count(app, SalesOrder) == 2  # the old file's order stays
    assert count(app, ImportFile, ImportFile.id == old) == 0


def test_scheduler_command_needs_redis(runner):
    result = runner.invoke(args=["muara", "scheduler"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


@needs_redis
def test_muara_scheduler_and_workers_run_the_schedule_on_redis(app, redis_app, runner,  # noqa: F811
                                                               tmp_path):
    waiting, old = waiting_and_old_files(app, runner, tmp_path)
    env = dict(os.environ, DATABASE_URL=redis_app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=REDIS_URL, MUARA_QUEUE=redis_app.config["QUEUE_NAME"])
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "run", "muara", "scheduler", "--interval", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "run", "muara", "worker"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while file_state(app, waiting)[0] != "archived" or \
                count(app, ImportFile, ImportFile.id == old):
            assert time.monotonic() < deadline, "the schedule did not run"
            assert scheduler.poll() is None, scheduler.stdout.read()
            time.sleep(0.3)
    finally:
        for proc in (scheduler, worker):
            proc.terminate()
        outputs = [proc.communicate(timeout=30)[0] for proc in (scheduler, worker)]
    assert count(app, SalesOrder) == 2  # the old file's order stays
    assert ("muara-daily-consolidation: app.services.consolidation.daily_run_job every 1 s"
            in outputs[0])
    assert scheduler.returncode == 0, outputs[0]
