"""One batch of an import, in one transaction: its records, its rejections, the import's
counters and the job's heartbeat (ARCHITECTURE.md "One transaction per batch").

Every kind of import goes through `Batch`: tabular modules (records upserted by their
writer), staged modules (records are staged rows), customer returns (records written by
the returns writer as they are planned) and the final pass of staging (counters moved
from accepted to rejected). A job that dies leaves counts that match what was written,
and a re-run (records upsert on natural keys) ends in the same state.
"""
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.importing.natural_keys import NaturalKeys
from app.importing.writers import insert_rows
from app.models import ImportFile, ImportRejection


@dataclass
class Settings:
    batch_size: int = 20000
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    # Called with the session before each batch commit (the job's heartbeat); may raise
    # TaskSuperseded to stop without committing.
    on_batch: Optional[Callable] = None

    def beat(self, session: Session) -> None:
        if self.on_batch:
            self.on_batch(session)


def plain(value: Any) -> Any:
    """A read value as JSON can hold it (dates and times as ISO text)."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def rejection_rows(imp: ImportFile, rejections: Iterable, original: Sequence) -> list[dict]:
    """The rejection log's rows for one source row's problems (validation.Rejection)."""
    cells = json.dumps([plain(v) for v in original])
    return [{"import_id": imp.id, "organization_id": imp.organization_id, "module": imp.module,
             "row": r.row, "column": r.column, "field": r.field,
             "value": None if r.value is None else str(r.value)[:1000],
             "reason": r.reason, "message": r.message, "original": cells, "resolved": False,
             "natural_key": None}
            for r in rejections]


class Batch:
    """Collects one batch of an import and commits it whole.

    `write(session, records)` writes the batch's records (None: the records are only
    counted, e.g. validating an all-or-nothing file before writing it). The counters are
    deltas added to the import row in SQL, so they never overwrite another batch's.
    """

    def __init__(self, session: Session, imp: ImportFile, settings: Settings,
                 write: Optional[Callable] = None, keep_rejections: bool = True,
                 keys: Optional[NaturalKeys] = None):
        """`keys` (modules with a natural key): each rejection keeps its row's key, and
        the records written resolve earlier files' rejections of the same key."""
        self.session, self.settings = session, settings
        self.imp, self.import_id = imp, imp.id
        self.write, self.keep_rejections, self.keys = write, keep_rejections, keys
        self._reset()

    def _reset(self) -> None:
        self.records: list = []
        self.rejections: list[dict] = []
        self.rows = self.accepted = self.rejected = 0

    def accept(self, record: Any = None) -> None:
        """One row read and accepted; `record` is kept for `write`."""
        self.rows += 1
        self.accepted += 1
        if self.write is not None:
            self.records.append(record)

    def reject(self, rows: list[dict], values: Optional[Sequence] = None) -> None:
        """One row read and rejected, with its rejection log rows (and the row's cells,
        for its natural key)."""
        self.rows += 1
        if self.keep_rejections:
            self.rejected += 1
            if self.keys is not None and values is not None and rows:
                key = self.keys.of_values(values)
                for row in rows:
                    row["natural_key"] = key
            self.rejections.extend(rows)

    def log(self, rows: list[dict]) -> None:
        """Log rows that count no row (file-level warnings, messages of accepted rows)."""
        self.rejections.extend(rows)

    def move(self, accepted: int, rejected: int) -> None:
        """Counters moved without reading rows (a later pass rejecting staged rows)."""
        self.accepted += accepted
        self.rejected += rejected

    def commit_if_full(self, size: Optional[int] = None) -> None:
        if self.rows >= (size or self.settings.batch_size):
            self.commit()

    def commit(self) -> None:
        """Records (and the earlier rejections they resolve), heartbeat, rejections and
        counters, then one commit."""
        session = self.session
        if self.records:
            self.write(session, self.records)
            if self.keys is not None:
                self.keys.resolve(session, self.imp, self.records)
        self.settings.beat(session)
        insert_rows(session, ImportRejection.__table__, self.rejections)
        session.execute(update(ImportFile).where(ImportFile.id == self.import_id).values(
            rows_done=ImportFile.rows_done + self.rows,
            accepted=ImportFile.accepted + self.accepted,
            rejected=ImportFile.rejected + self.rejected))
        session.commit()
        if self.imp in session:
            session.refresh(self.imp)
        self._reset()
