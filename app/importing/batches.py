"""One batch of an import, in one transaction: its records, its rejections, the import's
counters and the job's heartbeat (ARCHITECTURE.md "One transaction per batch").

Every kind of import goes through `Batch`: tabular modules (records upserted by their
writer), staged modules (records are staged rows), customer returns (records written by
the returns writer as they are planned) and the final pass of staging (counters moved
from accepted to rejected). A job that dies leaves counts that match what was written,
and a re-run (records upsert on natural keys) ends in the same state.

A batch is counted only by the run that holds the import (app.importing.claim) and only
once: a deadlock or a lost connection rolls the batch back and writes it again whole
(app.importing.retry), and a batch whose commit went through before the connection was
lost is not counted again.
"""
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

from sqlalchemy.orm import Session

from app.errors import TaskSuperseded
from app.importing.claim import count_batch, local_token
from app.importing.natural_keys import NaturalKeys
from app.importing.retry import Retries, retrying
from app.importing.writers import insert_rows
from app.models import ImportFile, ImportRejection


@dataclass
class Settings:
    batch_size: int = 20000
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    # Called with the session before each batch commit (the job's heartbeat); may raise
    # TaskSuperseded to stop without committing.
    on_batch: Optional[Callable] = None
    # The run's claim on the import (its queue job id) and its batches committed so far.
    run_token: str = field(default_factory=local_token)
    batches: int = 0
    # How long a lost database connection is retried before the import fails.
    retry_seconds: float = 300
    retries: Optional[Retries] = None

    def beat(self, session: Session) -> None:
        if self.on_batch:
            self.on_batch(session)

    def retry_budget(self) -> Retries:
        if self.retries is None:
            self.retries = Retries(self.retry_seconds)
        return self.retries


def plain(value: Any) -> Any:
    """A read value as JSON can hold it (dates and times as ISO text)."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def _iso_text(value: Any) -> str:
    """json's `default`: what `plain` gives for the values JSON cannot hold itself."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    raise TypeError(f"{value.__class__.__name__} is not JSON serializable")


# json.dumps's own settings with dates as ISO text: made once, not once per rejected row
# (the cells of most rows are text and numbers, which the C encoder writes alone).
_cells_json = json.JSONEncoder(default=_iso_text).encode


def rejection_rows(imp: ImportFile, rejections: Iterable, original: Sequence) -> list[dict]:
    """The rejection log's rows for one source row's problems (validation.Rejection)."""
    return _logged(imp.id, imp.organization_id, imp.module, rejections, original)


def _logged(import_id, organization_id, module, rejections, original):
    cells = _cells_json(original if isinstance(original, (list, tuple)) else list(original))
    return [{"import_id": import_id, "organization_id": organization_id, "module": module,
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

    `replayable`: everything the batch writes goes through `write` (or it writes nothing
    but rejections and counts), so a retry can write it again whole; a runner that writes
    records as it goes (customer returns) says False, and a retryable error ends the run
    (the pipeline runs the file again).
    """

    def __init__(self, session: Session, imp: ImportFile, settings: Settings,
                 write: Optional[Callable] = None, keep_rejections: bool = True,
                 keys: Optional[NaturalKeys] = None, replayable: bool = True):
        """`keys` (modules with a natural key): each rejection keeps its row's key, and
        the records written resolve earlier files' rejections of the same key."""
        self.session, self.settings = session, settings
        self.imp, self.import_id = imp, imp.id
        self.write, self.keep_rejections, self.keys = write, keep_rejections, keys
        self.replayable = replayable
        # The import's ids, read once: rejection rows are made per rejected row.
        self._origin = (imp.id, imp.organization_id, imp.module)
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

    def reject_row(self, rejections: Iterable, values: Sequence) -> None:
        """`reject` of one source row with its problems (validation.Rejection): the
        rejection rows made here (none when the batch keeps no rejections)."""
        self.reject(_logged(*self._origin, rejections, values) if self.keep_rejections
                    else [], values)

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
        """Heartbeat, counters (claim checked), records (and the earlier rejections they
        resolve), rejections, then one commit; written again whole when the database asks
        for a retry."""
        session, settings = self.session, self.settings
        if self.replayable:
            retrying(session, self._write_batch, settings.retry_budget())
        else:
            self._write_batch()
            session.commit()
        settings.batches += 1
        if self.imp in session:
            session.refresh(self.imp)
        self._reset()

    def _write_batch(self) -> None:
        session, settings = self.session, self.settings
        # The task's heartbeat, then the import row: a run that lost its task or its claim
        # stops before writing anything.
        settings.beat(session)
        outcome = count_batch(session, self.import_id, settings.run_token, settings.batches,
                              self.rows, self.accepted, self.rejected)
        if outcome == "lost":
            raise TaskSuperseded(f"import {self.import_id} is claimed by another run")
        if outcome == "done":
            return  # committed before the connection was lost: nothing to write again
        if self.records:
            self.write(session, self.records)
            if self.keys is not None:
                self.keys.resolve(session, self.imp, self.records)
        insert_rows(session, ImportRejection.__table__, self.rejections)
