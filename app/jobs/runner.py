"""The one RQ entry point: run the background task the database describes.

The queue only carries a task id. The task row is claimed atomically (queued ->
running), so a job delivered twice, or re-queued while its first copy still waits,
runs once.
"""
import contextvars
import json
import traceback

from flask import current_app, has_app_context
from sqlalchemy import update

from app.errors import TaskSuperseded
from app.extensions import db
from app.jobs.registry import resolve
from app.models.tasks import BackgroundTask, TaskStatus, utcnow

_worker_app = None
# (task id, queue job id) of the task this context is running.
_current = contextvars.ContextVar("muara_task", default=None)


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
    token = _current.set((task_id, task.rq_job_id))
    try:
        result = resolve(task.function)(*json.loads(task.args))
    except TaskSuperseded:
        db.session.rollback()
        current_app.logger.warning("task %s was handed to another run; this one stops", task_id)
        return None
    except Exception as exc:
        db.session.rollback()
        task = db.session.get(BackgroundTask, task_id)
        task.status = TaskStatus.failed
        task.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        task.finished_at = utcnow()
        db.session.commit()
        raise
    finally:
        _current.reset(token)
    task = db.session.get(BackgroundTask, task_id)
    task.status = TaskStatus.done
    task.result = json.dumps(result, default=str)
    task.finished_at = utcnow()
    db.session.commit()
    return result


def beat(session):
    """Called by a long job before each batch commit: the task is alive. Raises
    TaskSuperseded when the task was re-queued to another run meanwhile, so the batch is
    not committed."""
    current = _current.get()
    if current is None:
        return
    task_id, job_id = current
    alive = session.execute(
        update(BackgroundTask)
        .where(BackgroundTask.id == task_id, BackgroundTask.rq_job_id == job_id,
               BackgroundTask.status == TaskStatus.running)
        .values(heartbeat_at=utcnow())).rowcount
    if not alive:
        raise TaskSuperseded(f"task {task_id} was re-queued")
