"""Fix and re-upload closes the original (issue 17): a rejected row keeps its natural key,
and a later file of the same organization and module that imports a record with that key
resolves the rejection, naming itself.

`NaturalKeys` is built once per job from the validator. The batch writer
(app.importing.batches) asks it for a rejected row's key (converted as the validator
converts it, so it equals the key of the record the fixed row becomes) and, at each
commit, resolves the open rejections whose key the batch imported: one UPDATE per chunk
of keys, and nothing at all when the organization has no open rejection with a key for
the module (checked once per job), so a clean import pays one query.
"""
import datetime as dt
import json
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session

from app.importing.validation import RowValidator
from app.importing.values import Invalid
from app.models import ImportFile, ImportRejection
from app.models.imports import ImportStatus
from app.models.tasks import utcnow

CHUNK = 500  # keys per UPDATE (far below SQLite's bound on parameters)


# json.dumps(..., ensure_ascii=False), made once: it runs for every rejected row.
_key_json = json.JSONEncoder(ensure_ascii=False).encode
_quoted = json.encoder.encode_basestring  # a str as JSON text, as _key_json writes it


def key_text(parts: tuple) -> str:
    """A natural key as the text stored on the rejection row."""
    if len(parts) == 1 and parts[0].__class__ is str:  # most keys: one code
        return f"[{_quoted(parts[0])}]"
    return _key_json([p.isoformat() if isinstance(p, (dt.date, dt.datetime, dt.time))
                      else p if isinstance(p, (int, str)) or p is None else str(p)
                      for p in parts])


class NaturalKeys:
    """The natural key of a module's rows, for one import job."""

    def __init__(self, validator: RowValidator, staged: bool = False):
        self.module = validator.module
        self.names = list(validator.key_fields)
        self.fields = [validator.compiled(name) for name in self.names]
        self.slots = [validator.layout[name] for name in self.names]
        self.staged = staged  # records are staged rows (app.importing.staging), not lists
        self._open: Optional[bool] = None  # any open rejection with a key to resolve?

    @classmethod
    def of(cls, validator: RowValidator, staged: bool = False) -> Optional["NaturalKeys"]:
        """None for a module without a natural key (nothing to match then)."""
        if not validator.key_fields:
            return None
        return cls(validator, staged)

    def of_record(self, record: Any) -> str:
        if self.staged:  # its fields as JSON, dates already ISO text
            data = json.loads(record["data"])
            return key_text([data.get(name) for name in self.names])
        return key_text([record[slot] for slot in self.slots])

    def of_values(self, values: Sequence) -> Optional[str]:
        """A rejected row's key, or None when a part of it is missing or not valid."""
        parts = []
        for compiled in self.fields:
            if compiled is None:
                return None
            raw = (values[compiled.index]
                   if compiled.index is not None and compiled.index < len(values) else None)
            try:
                value = compiled.convert(raw)
            except Invalid:
                return None
            if value is None:
                value = compiled.default
            if value is None:
                return None
            parts.append(value)
        return key_text(parts)

    def resolve(self, session: Session, imp: ImportFile, records: list) -> None:
        """Resolve the open rejections of earlier files whose key one of `records` (a
        batch's records, laid out by the validator) has; in the batch's transaction."""
        if not records or not self._any_open(session, imp):
            return
        keys = list({self.of_record(record) for record in records})
        touched = set()
        now = utcnow()
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start:start + CHUNK]
            where = and_(ImportRejection.organization_id == imp.organization_id,
                         ImportRejection.module == imp.module,
                         ImportRejection.natural_key.in_(chunk),
                         ImportRejection.resolved.is_(False),
                         ImportRejection.import_id != imp.id)
            touched.update(session.execute(
                select(ImportRejection.import_id).where(where).distinct()).scalars())
            session.execute(update(ImportRejection).where(where).values(
                resolved=True, resolved_at=now, resolved_by_id=imp.id),
                execution_options={"synchronize_session": False})
        close_resolved_files(session, touched)

    def _any_open(self, session, imp) -> bool:
        if self._open is None:
            self._open = session.execute(select(exists().where(
                ImportRejection.organization_id == imp.organization_id,
                ImportRejection.module == imp.module,
                ImportRejection.natural_key.is_not(None),
                ImportRejection.resolved.is_(False),
                ImportRejection.import_id != imp.id))).scalar()
        return self._open


def close_resolved_files(session: Session, import_ids: Iterable[int]) -> list[int]:
    """The files among `import_ids` that need attention and have no open rejection left
    leave the "Needs attention" list: they become Archived (processed). Returns them."""
    import_ids = list(import_ids)
    if not import_ids:
        return []
    still_open = (select(func.count()).where(
        ImportRejection.import_id == ImportFile.id, ImportRejection.severity == "error",
        ImportRejection.resolved.is_(False)).scalar_subquery())
    closed = session.execute(select(ImportFile.id).where(
        ImportFile.id.in_(import_ids), ImportFile.status == ImportStatus.needs_attention,
        still_open == 0)).scalars().all()
    if closed:
        session.execute(update(ImportFile).where(ImportFile.id.in_(closed))
                        .values(status=ImportStatus.archived),
                        execution_options={"synchronize_session": False})
    return closed
