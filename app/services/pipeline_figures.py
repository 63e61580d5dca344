"""The pipeline's own figures for the Operations page (issue 17.14): imports per state,
the speed of recent jobs and the rejection rate. Read-only; every tenant counts."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models.imports import ImportFile, ImportStatus
from app.models.tasks import utcnow

RECENT_JOBS = 20


@dataclass
class JobSpeed:
    id: int
    filename: str
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float | None:
        return self.rows / self.seconds if self.seconds > 0 else None


def imports_per_state() -> list[tuple[ImportStatus, int]]:
    """[(state, count)] for every state, in the pipeline's order, zeros included."""
    counts = dict(db.session.execute(
        select(ImportFile.status, func.count(ImportFile.id)).group_by(ImportFile.status)).all())
    return [(state, counts.get(state, 0)) for state in ImportStatus]


def recent_job_speeds(limit: int = RECENT_JOBS) -> list[JobSpeed]:
    """The last finished imports with their rows and time (newest first)."""
    rows = db.session.execute(
        select(ImportFile.id, ImportFile.filename, ImportFile.rows_done,
               ImportFile.started_at, ImportFile.finished_at)
        .where(ImportFile.started_at.is_not(None), ImportFile.finished_at.is_not(None))
        .order_by(ImportFile.finished_at.desc()).limit(limit)).all()
    return [JobSpeed(pk, name, done or 0, max((end - start).total_seconds(), 0.0))
            for pk, name, done, start, end in rows]


def overall_speed(speeds: list[JobSpeed]) -> float | None:
    """Rows per second over the given jobs together (None without time measured)."""
    rows = sum(s.rows for s in speeds)
    seconds = sum(s.seconds for s in speeds)
    return rows / seconds if seconds > 0 else None


def rejection_rate(days: int = 30) -> tuple[int, int, float | None]:
    """(rows read, rows rejected, rate 0..1 or None) of imports finished in `days` days."""
    since = utcnow() - timedelta(days=days)
    read, rejected = db.session.execute(
        select(func.coalesce(func.sum(ImportFile.rows_done), 0),
               func.coalesce(func.sum(ImportFile.rejected), 0))
        .where(ImportFile.finished_at >= since)).one()
    return read, rejected, (rejected / read if read else None)
