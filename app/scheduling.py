"""The daily consolidation and the retention purge on a schedule (seed 000: "once a
day"; IMP-5), with RQ's built-in cron scheduler in both modes.

With REDIS_URL, `flask --app run muara scheduler` runs rq.cron.CronScheduler (one process
for the deployment; a second one only fires twice, and both jobs are idempotent).
Embedded, a thread of the web process runs the same scheduler over the in-process queue.
Times are the server's local time, as cron's.
"""
import logging
import threading

from rq.cron import CronScheduler

from app.jobs.scheduled import fire

log = logging.getLogger(__name__)

DAILY_RUN = "app.jobs.consolidation.daily_run"
PURGE = "app.jobs.consolidation.purge"


def daily_cron(hhmm):
    """"02:00" -> the cron expression "0 2 * * *"."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return f"{minutes} {hours} * * *"


def schedule(config):
    """(name, task function, daily time) of every scheduled job."""
    return [("muara-daily-consolidation", DAILY_RUN, config["CONSOLIDATION_TIME"]),
            ("muara-retention-purge", PURGE, config["PURGE_TIME"])]


def build_scheduler(app, interval=None):
    """A CronScheduler on the app's queue. `interval` (seconds) replaces the daily times,
    to try a schedule out (the first firing is at once)."""
    task_queue = app.extensions["muara_queue"]
    interval = interval or app.config.get("SCHEDULE_INTERVAL") or None
    scheduler = CronScheduler(connection=task_queue.connection, logging_level="WARNING")
    for name, function, at in schedule(app.config):
        scheduler.register(fire, task_queue.name, args=(function,), name=name,
                           interval=interval, cron=None if interval else daily_cron(at),
                           result_ttl=86400)
    return scheduler


def start_scheduler_thread(app, interval=None):
    """Embedded mode: the scheduler as a thread. Returns an Event that stops it."""
    scheduler = build_scheduler(app, interval)
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                scheduler.enqueue_jobs()
            except Exception:
                log.exception("scheduled jobs could not be queued")
            stop.wait(max(scheduler.calculate_sleep_interval(), 0.2))

    threading.Thread(target=loop, name="muara-scheduler", daemon=True).start()
    return stop
