"""The worker's entry points, which RQ imports by path: `run_task` runs the background
task the database describes; `fire` is what the cron scheduler queues.

Both run inside the app context that app.queue's worker pushes per job (`muara worker`,
or the embedded worker thread). The queue only carries a task id. The task row is
claimed atomically (queued -> running), so a job delivered twice, or re-queued while its
first copy still waits, runs once. The row names its job function by dotted path; only
a function registered with app.queue.job runs.
"""
import importlib
import json
import traceback

from flask import current_app
from sqlalchemy import update

from app.errors import TaskSuperseded
from app.extensions import db
from app.models.tasks import BackgroundTask, TaskStatus, utcnow
from app.queue import queue, registered_job, running_task, running_task_done


def resolve(path):
    """The registered job function at `path`. Its module is imported first (that is where
    it registers), and only for modules of this app."""
    module = path.rpartition(".")[0]
    if not module.startswith("app."):
        raise LookupError(f"not a registered job function: {path}")
    try:
        importlib.import_module(module)
    except ImportError:
        raise LookupError(f"not a registered job function: {path}") from None
    return registered_job(path)


def run_task(task_id):
    """Run in `muara worker` (or the embedded worker), which pushes the app context."""
    return _run(task_id)


def fire(path):
    """Queued by the cron scheduler (app/scheduling.py): record the scheduled job as a
    background task, so it is claimed, re-queued when lost and recorded like any other."""
    return queue().submit(resolve(path)).id


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
    token = running_task(task_id, task.rq_job_id)
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
        running_task_done(token)
    task = db.session.get(BackgroundTask, task_id)
    task.status = TaskStatus.done
    task.result = json.dumps(result, default=str)
    task.finished_at = utcnow()
    db.session.commit()
    return result
