"""The work queue: RQ on Redis at scale, RQ on an in-process fake Redis when embedded.

Both modes run the same job code (app.jobs.runner.run_task) through an RQ worker with
the app context pushed per job. The database is the source of truth: `submit` writes a
task row first and the queue only carries its id; `requeue_lost` finds task rows whose
queue entry is gone and queues them again.

This is a bottom floor: it knows nothing of what it runs. Job functions register
themselves with `@job` and are enqueued by function, as RQ enqueues them; the task row
keeps the function's dotted path, which only a registered function may have.
"""
import contextvars
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import TaskSuperseded
from app.extensions import db
from app.models.tasks import BackgroundTask, TaskStatus, utcnow

log = logging.getLogger(__name__)

# RQ's entry point in the worker: a dotted path, because RQ imports it there.
RUN_TASK = "app.jobs.runner.run_task"
# A task whose worker died this many times while running it is not re-queued again: a
# poison file must not kill worker after worker (its job's give-up handler runs, e.g. its
# import is failed).
MAX_ATTEMPTS = 2
# RQ states in which a job will never run (again) by itself.
DEAD_STATES = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED}

# Dotted path -> job function: what a task row may name.
JOBS: dict[str, Callable] = {}
# Dotted path -> what to call with the task's arguments when the re-queue pass gives up
# on it (its worker died MAX_ATTEMPTS times running it), e.g. fail its import.
GIVE_UP: dict[str, Callable] = {}
# (task id, queue job id) of the task this context is running.
_running = contextvars.ContextVar("muara_task", default=None)


def job_path(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def job(function: Callable) -> Callable:
    """Register a module-level function as a background job (it may then be submitted)."""
    JOBS[job_path(function)] = function
    return function


def on_give_up(job_function: Callable) -> Callable[[Callable], Callable]:
    """Register what to do when `job_function`'s task is given up for good."""
    def register(handler: Callable) -> Callable:
        GIVE_UP[job_path(job_function)] = handler
        return handler
    return register


def _gave_up(path: str, args: list) -> None:
    handler = GIVE_UP.get(path)
    if handler is not None:
        handler(*args)


def registered_job(path: str) -> Callable:
    """The job function a task row names; LookupError for anything not registered."""
    try:
        return JOBS[path]
    except KeyError:
        raise LookupError(f"not a registered job function: {path}") from None


class TaskQueue:
    def __init__(self, app=None):
        self.connection = None
        self.embedded = False
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        url = app.config.get("REDIS_URL")
        if url:
            import redis
            self.connection = redis.Redis.from_url(url)
        else:
            import fakeredis
            self.connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
            self.embedded = True
        self.name = app.config["QUEUE_NAME"]
        self.job_timeout = app.config.get("JOB_TIMEOUT", 3600)
        app.extensions["muara_queue"] = self

    @property
    def rq(self):
        return Queue(self.name, connection=self.connection)

    def submit(self, function: Callable, *args: Any) -> BackgroundTask:
        """Record a task running `function` (a registered job) in the database, commit,
        then put its id on the queue."""
        path = job_path(function)
        if JOBS.get(path) is not function:
            raise LookupError(f"not a registered job function: {path}")
        task = BackgroundTask(function=path, args=json.dumps(list(args)),
                              status=TaskStatus.queued, rq_job_id=_new_job_id())
        db.session.add(task)
        db.session.commit()
        self._push(task.id, task.rq_job_id)
        return task

    def _push(self, task_id, job_id):
        try:
            self.rq.enqueue(RUN_TASK, task_id, job_id=job_id, job_timeout=self.job_timeout,
                            result_ttl=3600, failure_ttl=7 * 86400)
        except Exception:
            # The task row is committed: the periodic re-queue will deliver it.
            log.exception("could not queue task %s; it will be re-queued", task_id)

    def job_state(self, job_id):
        if not job_id:
            return None
        try:
            return Job.fetch(job_id, connection=self.connection).get_status(refresh=True)
        except NoSuchJobError:
            return None

    def requeue_lost(self, grace_seconds: int | None = None) -> list[int]:
        """Queue again every waiting or running task whose queue entry is gone or dead.

        A running task whose heartbeat (`beat`, at every batch of a long job) is
        older than TASK_STALE_SECONDS is lost too, whatever the queue says: its worker was
        killed. The old run, if it is only slow, stops at its next beat.

        Safe to run from many processes at once: each re-queue is a compare-and-set on
        the task's job id, so only one of them pushes a new job.
        """
        if grace_seconds is None:
            grace_seconds = current_app.config["REQUEUE_GRACE_SECONDS"]
        cutoff = utcnow() - dt.timedelta(seconds=grace_seconds)
        stale = utcnow() - dt.timedelta(seconds=current_app.config["TASK_STALE_SECONDS"])
        candidates = db.session.execute(
            select(BackgroundTask.id, BackgroundTask.rq_job_id, BackgroundTask.status,
                   BackgroundTask.attempts, BackgroundTask.heartbeat_at,
                   BackgroundTask.function, BackgroundTask.args)
            .where(BackgroundTask.status.in_([TaskStatus.queued, TaskStatus.running]),
                   BackgroundTask.enqueued_at <= cutoff)
        ).all()
        requeued = []
        for task_id, job_id, status, attempts, heartbeat_at, function, args in candidates:
            state = self.job_state(job_id)
            silent = (status == TaskStatus.running and heartbeat_at is not None
                      and heartbeat_at < stale)
            if state is not None and state not in DEAD_STATES and not silent:
                continue
            if status == TaskStatus.running and attempts >= MAX_ATTEMPTS:
                if self._give_up(task_id, job_id, status):
                    _gave_up(function, json.loads(args))
                continue
            new_job_id = _new_job_id()
            won = db.session.execute(
                update(BackgroundTask)
                # Unchanged since we looked: same job and same state (a task that just
                # finished must not be sent back to the queue).
                .where(BackgroundTask.id == task_id, BackgroundTask.rq_job_id == job_id,
                       BackgroundTask.status == status)
                .values(rq_job_id=new_job_id, status=TaskStatus.queued, enqueued_at=utcnow())
            ).rowcount
            db.session.commit()
            if won:
                self._push(task_id, new_job_id)
                requeued.append(task_id)
        # No transaction left open: a worker calls this at start-up, then waits for jobs.
        db.session.commit()
        if requeued:
            log.warning("re-queued lost tasks: %s", requeued)
        return requeued

    def _give_up(self, task_id, job_id, status):
        """Fail the task (compare-and-set); whether this call did it."""
        won = db.session.execute(
            update(BackgroundTask)
            .where(BackgroundTask.id == task_id, BackgroundTask.rq_job_id == job_id,
                   BackgroundTask.status == status)
            .values(status=TaskStatus.failed, finished_at=utcnow(),
                    error=f"the worker running it was lost {MAX_ATTEMPTS} times")
        ).rowcount
        db.session.commit()
        return won

    def worker(self, app, thread=False):
        worker_class = ThreadWorker if thread else AppWorker
        return worker_class([self.rq], connection=self.connection, app=app)


def _new_job_id():
    return f"muara-{uuid.uuid4().hex}"


class AppWorker(SimpleWorker):
    """Runs each job in this process inside a fresh app context.

    SimpleWorker (no child process) keeps the database pool and the app loaded between
    jobs; run as many `muara worker` processes as there are cores to scale.
    """

    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def execute_job(self, job, queue):
        with self.app.app_context():
            try:
                return super().execute_job(job, queue)
            finally:
                db.session.remove()


class ThreadWorker(AppWorker):
    """The embedded worker: a thread of the web process. Signals belong to the main
    thread, so timeouts use a timer instead."""
    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


def queue() -> TaskQueue:
    return current_app.extensions["muara_queue"]


def running_task(task_id: int, job_id: str) -> contextvars.Token:
    """Mark this context as running the task (the runner does, around the job): `beat`
    then knows which task to keep alive. Returns a token for `running_task_done`."""
    return _running.set((task_id, job_id))


def running_task_done(token: contextvars.Token) -> None:
    _running.reset(token)


def running_job_id() -> str | None:
    """The queue job id of the task this context is running (a run's claim token)."""
    current = _running.get()
    return current[1] if current else None


def beat(session: Session) -> None:
    """Called by a long job before each batch commit: the task is alive. Raises
    TaskSuperseded when the task was re-queued to another run meanwhile, so the batch is
    not committed. Outside a task it does nothing."""
    current = _running.get()
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
