"""The daily consolidation and the retention purge on a schedule (seed 000: "once a
day"; IMP-5), with RQ's built-in cron scheduler in both modes.

With REDIS_URL, `flask --app run muara scheduler` runs rq.cron.CronScheduler (one process
for the deployment; a second one only fires twice, and both jobs are idempotent).
Embedded, a thread of the web process runs the same scheduler over the in-process queue
(app/background.py). Times are the server's local time, as cron's.
"""
from rq.cron import CronScheduler

from app.jobs.runner import fire
from app.queue import job_path
from app.services.consolidation import daily_run_job, purge_job


def daily_cron(hhmm):
    """"02:00" -> the cron expression "0 2 * * *"."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return f"{minutes} {hours} * * *"


def schedule(config):
    """(name, job function, daily time) of every scheduled job."""
    return [("muara-daily-consolidation", daily_run_job, config["CONSOLIDATION_TIME"]),
            ("muara-retention-purge", purge_job, config["PURGE_TIME"])]


def build_scheduler(app, interval=None):
    """A CronScheduler on the app's queue. `interval` (seconds) replaces the daily times,
    to try a schedule out (the first firing is at once)."""
    task_queue = app.extensions["muara_queue"]
    interval = interval or app.config.get("SCHEDULE_INTERVAL") or None
    scheduler = CronScheduler(connection=task_queue.connection, logging_level="WARNING")
    for name, function, at in schedule(app.config):
        # The cron entry lives in Redis: it carries the job's name, not the function.
        scheduler.register(fire, task_queue.name, args=(job_path(function),), name=name,
                           interval=interval, cron=None if interval else daily_cron(at),
                           result_ttl=86400)
    return scheduler
