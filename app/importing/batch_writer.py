"""A tabular import's batches written by a thread of their own while the job reads the
next batch (PostgreSQL; issue 15).

On PostgreSQL a batch's writing is mostly the server's work, in the server's process:
its COPY, upsert, foreign-key checks and index entries. Written on the job's thread,
the file's reading and validation waited for it, and the server waited for them. Here
the job reads and validates batch N+1 while the writer thread has batch N written, so
the two run on two cores. At most one batch waits (the reading is one batch ahead:
two batches in memory, never more), and the batches are written one after the other in
the file's order, each whole in its own transaction with its counters (app.importing
.batches): what a batch is and how it is retried does not change.

SQLite writes in the job's own process: there is nothing to overlap, and a second
writer would wait for the file's lock. Its batches stay on the job's thread.

The writer has its own application context, so its own session and connection; it
runs in a copy of the job's context variables (the running task, for the heartbeat). A
batch that fails (an error no retry cures, the task superseded, the database gone for
the retry time) stops the writer; the job hears of it at its next batch or at the end,
as it would have heard of it on its own thread.
"""
import contextvars
import queue
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from flask import current_app
from sqlalchemy.orm import Session

from app.extensions import db

_STOP = object()


class BatchWriter:
    """One thread that runs the batches' writing, in order, one at a time."""

    def __init__(self, app) -> None:
        self._work: queue.Queue = queue.Queue()
        self._failure: Optional[BaseException] = None
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run, app),
                                        name="muara-batch-writer", daemon=True)
        self._thread.start()

    def submit(self, write: Callable[[Session], None]) -> None:
        """Have `write(session)` run after the batch before it is written (the reading
        waits here until then: one batch ahead, no more)."""
        self.wait()
        self._work.put(write)

    def wait(self) -> None:
        """Until every submitted batch is written; a failed one's error is raised here."""
        self._work.join()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def close(self) -> None:
        self._work.put(_STOP)
        self._thread.join()

    def _run(self, app) -> None:
        with app.app_context():
            try:
                while (write := self._work.get()) is not _STOP:
                    try:
                        if self._failure is None:
                            write(db.session)
                    except BaseException as exc:  # noqa: B036 - handed to the job's thread
                        db.session.rollback()
                        self._failure = exc
                    finally:
                        self._work.task_done()
            finally:
                db.session.remove()


@contextmanager
def batch_writer(session: Session) -> Iterator[Optional[BatchWriter]]:
    """A BatchWriter for the import's batches on PostgreSQL, None on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        yield None
        return
    writer = BatchWriter(current_app._get_current_object())
    try:
        yield writer
    finally:
        writer.close()
