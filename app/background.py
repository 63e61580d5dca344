"""The background threads of a process: the embedded worker and scheduler (no Redis),
and the re-queue pass that every web process and worker runs.

They sit above the queue, which knows nothing of what it runs: this module ties the
queue to the schedules (the daily jobs, the document-sync times).
"""
import logging
import threading

from app.extensions import db
from app.models.tasks import utcnow
from app.scheduling import build_scheduler
from app.services.document_sync.schedule import run_due_syncs

log = logging.getLogger(__name__)


def start_background_threads(app):
    """Embedded mode: a worker thread, the scheduler (the daily consolidation and the
    purge), and a thread that re-queues lost work."""
    task_queue = app.extensions["muara_queue"]
    if task_queue.embedded:
        worker = task_queue.worker(app, thread=True)
        threading.Thread(target=worker.work, kwargs={"logging_level": "WARNING"},
                         name="muara-embedded-worker", daemon=True).start()
        if app.config.get("EMBEDDED_SCHEDULER", True):
            start_scheduler_thread(app)
    start_requeue_thread(app)


def start_scheduler_thread(app, interval=None):
    """Embedded mode: the scheduler as a thread. Returns an Event that stops it."""
    scheduler = build_scheduler(app, interval)
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                scheduler.enqueue_jobs()
            except Exception:
                log.exception("scheduled jobs could not be queued")
            stop.wait(max(scheduler.calculate_sleep_interval(), 0.2))

    threading.Thread(target=loop, name="muara-scheduler", daemon=True).start()
    return stop


def start_requeue_thread(app):
    """Every REQUEUE_INTERVAL: re-queue lost work, and queue the document-sync schedules
    whose time has come (INT-2)."""
    interval = app.config["REQUEUE_INTERVAL"]

    def loop():
        stop = threading.Event()
        task_queue = app.extensions["muara_queue"]
        # An embedded queue starts empty: everything the database says is waiting was
        # lost with the previous process, so the first pass needs no grace period.
        grace = 0 if task_queue.embedded else None
        while True:
            with app.app_context():
                try:
                    task_queue.requeue_lost(grace)
                    grace = None
                except Exception:
                    db.session.rollback()
                    log.exception("re-queue check failed")
                try:
                    run_due_syncs(utcnow())
                except Exception:
                    log.exception("sync schedule check failed")
                finally:
                    db.session.remove()
            stop.wait(interval)

    threading.Thread(target=loop, name="muara-requeue", daemon=True).start()
