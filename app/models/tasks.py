"""Background tasks: the database's record of work handed to the queue.

The queue is only a trigger (ARCHITECTURE.md): a task row says what must run and how
far it got, so a lost queue entry is found here and queued again.
"""
import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Enum, Integer, String, Text

from app.models.mixins import ValueEnum


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class TaskStatus(ValueEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class BackgroundTask(Model):
    __tablename__ = "background_task"

    id = Column(Integer, primary_key=True)
    # Dotted path of a registered job function (app.queue.job).
    function = Column(String(200), nullable=False)
    # JSON list of arguments.
    args = Column(Text, nullable=False, default="[]")
    status = Column(Enum(TaskStatus, name="task_status", native_enum=False, length=20),
                    nullable=False, default=TaskStatus.queued, index=True)
    rq_job_id = Column(String(64))
    attempts = Column(Integer, nullable=False, default=0)
    enqueued_at = Column(DateTime, nullable=False, default=utcnow)
    started_at = Column(DateTime)
    # Set by long jobs at every batch (app.queue.beat): a running task whose beat stops is
    # lost even while the queue still calls its job "started" (its worker was killed).
    heartbeat_at = Column(DateTime)
    finished_at = Column(DateTime)
    result = Column(Text)
    error = Column(Text)
