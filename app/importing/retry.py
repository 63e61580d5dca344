"""Retry what the database asks to retry (issue 14): a deadlock or a serialization
failure is retried at once with a short back-off; a lost connection is retried with a
growing back-off until `retry_seconds` have passed, then DatabaseUnavailable says so.

`retrying(session, work, ...)` runs `work()` and commits; on a retryable error it rolls
back and runs `work()` again, so the unit of work is written whole or not at all. The
work must be replayable: everything it writes is written inside `work()`.
"""
import logging
import random
import time
from typing import Callable, Optional, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CONFLICT, CONNECTION = "conflict", "connection"
# PostgreSQL: deadlock_detected, serialization_failure, lock_not_available.
CONFLICT_STATES = {"40P01", "40001", "55P03"}
MAX_CONFLICTS = 10
FIRST_DELAY, LONGEST_DELAY = 0.05, 10.0


class DatabaseUnavailable(Exception):
    """The database stayed unreachable for the whole retry time."""

    def __init__(self, seconds: float):
        super().__init__(f"the database could not be reached for {seconds:.0f} s")
        self.seconds = seconds


def retry_kind(exc: BaseException) -> Optional[str]:
    """CONFLICT, CONNECTION, or None for an error that a retry would not cure."""
    if not isinstance(exc, DBAPIError):
        return None
    if exc.connection_invalidated:
        return CONNECTION
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in CONFLICT_STATES:
        return CONFLICT
    if type(original).__module__.startswith("psycopg") and isinstance(exc, OperationalError):
        # No answer from the server (refused, reset, closed) has no SQLSTATE; class 08 is
        # a connection exception, 57P0x the server shutting down.
        if state is None or state.startswith("08") or state.startswith("57P"):
            return CONNECTION
    if isinstance(exc, OperationalError) and "database is locked" in str(original):
        return CONFLICT  # SQLite: another writer held the file longer than its timeout
    return None


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...): doubling, jittered."""
    delay = min(FIRST_DELAY * (2 ** (attempt - 1)), LONGEST_DELAY)
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - spreading retries, not secrets


def rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except DBAPIError:
        log.warning("rollback failed; the connection is discarded", exc_info=True)


class Retries:
    """Counts the retries of one unit of work (or of one run): conflicts up to
    MAX_CONFLICTS, a lost connection up to `retry_seconds` since it was first lost."""

    def __init__(self, retry_seconds: float, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.retry_seconds, self.sleep, self.clock = retry_seconds, sleep, clock
        self.conflicts = self.disconnects = 0
        self.lost_since: Optional[float] = None

    def wait_or_raise(self, exc: BaseException) -> None:
        """After a failed attempt: wait before the next one, or raise (the error itself
        when it is not retryable or too many conflicts; DatabaseUnavailable when the
        connection stayed lost too long)."""
        kind = retry_kind(exc)
        if kind is None:
            raise exc
        if kind == CONFLICT:
            self.conflicts += 1
            if self.conflicts > MAX_CONFLICTS:
                raise exc
            attempt = self.conflicts
        else:
            now = self.clock()
            if self.lost_since is None:
                self.lost_since = now
            if now - self.lost_since >= self.retry_seconds:
                raise DatabaseUnavailable(self.retry_seconds) from exc
            self.disconnects += 1
            attempt = self.disconnects
        delay = backoff(attempt)
        if kind == CONNECTION and self.lost_since is not None:
            # Never sleep past the end of the retry time: one last try at its end.
            delay = min(delay, max(self.retry_seconds - (self.clock() - self.lost_since), 0))
        log.warning("database %s (%s); retry %d in %.2f s", kind, exc.__class__.__name__,
                    attempt, delay)
        self.sleep(delay)

    def connected(self) -> None:
        """An attempt reached the database: a later loss starts its own retry time."""
        self.lost_since = None


T = TypeVar("T")


def retrying(session: Session, work: Callable[[], T], retries: Retries) -> T:
    """work() then commit, again after a rollback while the database asks to retry."""
    while True:
        try:
            result = work()
            session.commit()
            retries.connected()
            return result
        except DBAPIError as exc:
            rollback_quietly(session)
            retries.wait_or_raise(exc)
