"""Waiting for background work from a command (`--wait`): run the queue here when it is
embedded (nobody else works it), else poll the database until a worker is done."""
import json
import time

import click
from flask import current_app

from app.extensions import db
from app.queue import queue

DEFAULT_TIMEOUT = 24 * 3600


def run_embedded_queue():
    """Without Redis nobody else works the queue: run it here until it is empty."""
    task_queue = queue()
    if task_queue.embedded:
        task_queue.worker(current_app._get_current_object()).work(burst=True,
                                                                  logging_level="WARNING")


def poll(model, pk, finished, timeout):
    """Look at the row every 0.2 s until `finished(row)` holds or `timeout` seconds have
    passed; returns (finished?, row). Each look reads the database afresh."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        row = db.session.get(model, pk)
        if finished(row):
            return True, row
        if time.monotonic() > deadline:
            return False, row
        time.sleep(0.2)


def wait_for_import(import_id, timeout=None):
    """The import's `--wait` summary once its job has finished (or the time is up)."""
    from app.models import ImportFile
    from app.services.imports import WAIT_REJECTIONS_LIMIT, summary
    run_embedded_queue()
    _, imp = poll(ImportFile, import_id, lambda row: row.job_finished,
                  timeout or DEFAULT_TIMEOUT)
    return summary(imp, limit=WAIT_REJECTIONS_LIMIT)


def task_ended(task):
    from app.models.tasks import TaskStatus
    return task.status in (TaskStatus.done, TaskStatus.failed)


def wait_for_task(task_id, timeout=None):
    """A task's result; a failed or late task is a one-line error."""
    from app.models.tasks import BackgroundTask, TaskStatus
    run_embedded_queue()
    ended, task = poll(BackgroundTask, task_id, task_ended, timeout or DEFAULT_TIMEOUT)
    if not ended:
        raise click.ClickException(f"task {task_id} did not finish in time")
    if task.status == TaskStatus.failed:
        raise click.ClickException(f"task {task_id} failed: "
                                   f"{(task.error or '').splitlines()[0]}")
    return json.loads(task.result)
