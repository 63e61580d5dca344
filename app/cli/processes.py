"""The processes of a deployment at scale: workers, the scheduler, and the check that a
worker answers."""
import json
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.queue import queue


def lower_priority(nice):
    """Run this worker (and the work horses it forks) `nice` steps below the web
    processes: a busy queue then slows imports, not the pages people are waiting for."""
    if nice:
        os.nice(min(nice, 19))


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts).")
@with_appcontext
def worker(burst):
    """An RQ worker with the app context (run one per core, on any number of machines)."""
    from app.background import start_requeue_thread
    task_queue = queue()
    if task_queue.embedded:
        raise click.ClickException("REDIS_URL is not set: the embedded worker runs inside "
                                   "`python run.py`; set REDIS_URL to run separate workers")
    app = current_app._get_current_object()
    lower_priority(app.config["WORKER_NICE"])
    task_queue.requeue_lost()
    # Between jobs the worker holds no transaction and no connection (each job has its
    # own app context and session): nothing keeps VACUUM from its dead rows.
    db.session.remove()
    db.engine.dispose()
    if not burst:
        start_requeue_thread(app)
    task_queue.worker(app).work(burst=burst, logging_level="INFO")


@click.command()
@click.option("--interval", type=click.IntRange(min=1),
              help="Fire every N seconds instead of at the daily times (to try it out).")
@with_appcontext
def scheduler(interval):
    """RQ's cron scheduler: the daily consolidation and the retention purge (needs
    REDIS_URL; run one for the deployment, next to the workers)."""
    from app.queue import job_path
    from app.scheduling import build_scheduler, schedule
    if queue().embedded:
        raise click.ClickException("REDIS_URL is not set: the embedded scheduler runs inside "
                                   "`python run.py`; set REDIS_URL to run it on its own")
    app = current_app._get_current_object()
    for name, function, at in schedule(app.config):
        when = f"every {interval or app.config['SCHEDULE_INTERVAL']} s" \
            if interval or app.config["SCHEDULE_INTERVAL"] else f"daily at {at}"
        click.echo(f"{name}: {job_path(function)} {when}")
    build_scheduler(app, interval).start()


@click.command("queue-check")
@click.option("--timeout", default=30, show_default=True, help="Seconds to wait.")
@with_appcontext
def queue_check(timeout):
    """Send a job through the queue and wait for a worker to run it."""
    from app.cli.waiting import poll, task_ended
    from app.jobs.diagnostics import echo
    from app.models.tasks import BackgroundTask, TaskStatus
    task_id = queue().submit(echo, "ping").id
    ended, task = poll(BackgroundTask, task_id, task_ended, timeout)
    if not ended:
        raise click.ClickException(f"no worker ran task {task_id} within {timeout}s: is a "
                                   "worker running (`flask --app run muara worker`)?")
    click.echo(json.dumps({"task": task.id, "status": str(task.status),
                           "result": json.loads(task.result or "null")}))
    if task.status == TaskStatus.failed:
        raise click.ClickException(f"the job failed: {task.error}")


COMMANDS = [worker, scheduler, queue_check]
