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


def wait_for_import(import_id, timeout=None):
    """The import's `--wait` summary once its job has finished."""
    from app.models import ImportFile
    from app.services.imports import summary
    run_embedded_queue()
    deadline = time.monotonic() + (timeout or DEFAULT_TIMEOUT)
    while True:
        db.session.expire_all()
        imp = db.session.get(ImportFile, import_id)
        if imp.job_finished or time.monotonic() > deadline:
            return summary(imp)
        time.sleep(0.2)


def wait_for_task(task_id, timeout=None):
    """A task's result; a failed or late task is a one-line error."""
    from app.models.tasks import BackgroundTask, TaskStatus
    run_embedded_queue()
    deadline = time.monotonic() + (timeout or DEFAULT_TIMEOUT)
    while True:
        db.session.expire_all()
        task = db.session.get(BackgroundTask, task_id)
        if task.status == TaskStatus.done:
            return json.loads(task.result)
        if task.status == TaskStatus.failed:
            raise click.ClickException(f"task {task_id} failed: "
                                       f"{(task.error or '').splitlines()[0]}")
        if time.monotonic() > deadline:
            raise click.ClickException(f"task {task_id} did not finish in time")
        time.sleep(0.2)
