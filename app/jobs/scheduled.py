"""What RQ's cron scheduler puts on the queue: a small job that records the scheduled
work as a background task (app/queue.py), so the daily run and the purge are claimed,
re-queued when lost and recorded like any other task."""
from flask import has_app_context

SCHEDULED = {"app.jobs.consolidation.daily_run", "app.jobs.consolidation.purge"}


def fire(function):
    if function not in SCHEDULED:
        raise LookupError(f"not a scheduled job: {function}")
    if not has_app_context():  # a plain `rq worker`
        from app.jobs.runner import _app
        with _app().app_context():
            return _submit(function)
    return _submit(function)


def _submit(function):
    from app.queue import queue
    return queue().submit(function).id
