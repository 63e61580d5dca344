"""The one RQ entry point: run the background task the database describes.

The queue only carries a task id. The task row is claimed atomically (queued ->
running), so a job delivered twice, or re-queued while its first copy still waits,
runs once.
"""
import json
import traceback

from flask import current_app, has_app_context
from sqlalchemy import update

from app.extensions import db
from app.jobs.registry import resolve
from app.models.tasks import BackgroundTask, TaskStatus, utcnow

_worker_app = None


def _app():
    """The app for a job run outside our workers (e.g. a plain `rq worker`)."""
    global _worker_app
    if _worker_app is None:
        from app import create_app
        _worker_app = create_app(start_background=False)
    return _worker_app


def run_task(task_id):
    if has_app_context():
        return _run(task_id)
    with _app().app_context():
        return _run(task_id)


def _run(task_id):
    claimed = db.session.execute(
        update(BackgroundTask)
        .where(BackgroundTask.id == task_id, BackgroundTask.status == TaskStatus.queued)
        .values(status=TaskStatus.running, started_at=utcnow(),
                attempts=BackgroundTask.attempts + 1)
    ).rowcount
    db.session.commit()
    if not claimed:
        current_app.logger.info("task %s is not waiting; nothing to do", task_id)
        return None
    task = db.session.get(BackgroundTask, task_id)
    try:
        result = resolve(task.function)(*json.loads(task.args))
    except Exception as exc:
        db.session.rollback()
        task = db.session.get(BackgroundTask, task_id)
        task.status = TaskStatus.failed
        task.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        task.finished_at = utcnow()
        db.session.commit()
        raise
    task = db.session.get(BackgroundTask, task_id)
    task.status = TaskStatus.done
    task.result = json.dumps(result, default=str)
    task.finished_at = utcnow()
    db.session.commit()
    return result
