"""Undoing an import (issue 19) from its before-images: the records it created are
removed, the records it updated get back the values they had before it, one transaction
per batch. Tabular modules keep the images as they write; staged modules as their file
is consolidated, so undoing a consolidated file undoes its consolidation (a document's
lines come back with it). A record a later file changed since (or that other records
use) is kept and listed by name. Each batch deletes the images it has undone, so an undo
interrupted by a dead worker completes when it runs again, and never undoes a record
twice.
"""
import json
from typing import Iterable, Optional

from sqlalchemy import Integer, any_, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.importing.balances import AFFECTS_BALANCES, recount_customer_balances
from app.importing.batches import Settings
from app.importing.before_images import (
    Imaged,
    from_json,
    imaged,
    lines_from_json,
    remove_return_trees,
    restore_return_trees,
)
from app.models import ImportBeforeImage, ImportFile, InvoiceCharge, OpenInvoice
from app.models.imports import ImportStatus
from app.models.tasks import utcnow

# Records undone per transaction at most: their ids are bound parameters of a batch's
# queries (SQLite takes 32,766).
MAX_BATCH = 10000
# At most this many kept records are listed by name (all are counted).
KEPT_LISTED = 1000
IMAGE = ImportBeforeImage.__table__


def _among(session: Session, column, ids):
    """`column IN ids`; on PostgreSQL `= ANY` one array parameter: a batch's 10,000 ids as
    10,000 parameters took the driver longer to send than the database to run."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def _images(import_id: int, table_name: str):
    return (IMAGE.c.import_id == import_id, IMAGE.c.table_name == table_name)


def _later_changes(session: Session, imp: ImportFile, table_name: str, ids) -> dict:
    """record id -> the first later import (not undone) that wrote the record since."""
    later = (select(IMAGE.c.record_id, func.min(IMAGE.c.import_id))
             .join(ImportFile, ImportFile.id == IMAGE.c.import_id)
             .where(IMAGE.c.table_name == table_name, IMAGE.c.import_id > imp.id,
                    ImportFile.status != ImportStatus.undone)
             .group_by(IMAGE.c.record_id))
    if ids is not None:
        later = later.where(_among(session, IMAGE.c.record_id, ids))
    else:
        later = later.where(IMAGE.c.record_id.in_(
            select(IMAGE.c.record_id).where(*_images(imp.id, table_name))))
    return dict(session.execute(later).all())


def _users(spec: Imaged):
    """(column, noun) of every foreign key to the records' table, but their own
    children: a record still used by them cannot be removed."""
    for table in spec.table.metadata.sorted_tables:
        if table.name in spec.children:
            continue
        for key in table.foreign_keys:
            if key.column.table is spec.table:
                yield key.parent, table.name.replace("_", " ")


def _in_use(session: Session, spec: Imaged, ids: list) -> dict:
    """record id -> what still uses it (another table's rows)."""
    used = {}
    if not ids:
        return used
    for column, noun in _users(spec):
        for (record_id,) in session.execute(select(column).distinct()
                                            .where(_among(session, column, ids))):
            used.setdefault(record_id, noun)
    return used


def plan(session: Session, imp: ImportFile) -> dict:
    """What an undo would do, before anything happens: counts of the records to remove,
    to restore and to keep (changed by a later file)."""
    spec = imaged(imp.module)
    name = spec.table.name
    rows = session.execute(select(IMAGE.c.record_id, IMAGE.c.before.is_(None))
                           .where(*_images(imp.id, name))).all()
    later = _later_changes(session, imp, name, None)
    counts = {"table": spec.noun, "remove": 0, "restore": 0, "keep": 0}
    for record_id, created in rows:
        counts["keep" if record_id in later else "remove" if created else "restore"] += 1
    return counts


def run_undo(session: Session, import_id: int, settings: Optional[Settings] = None) -> dict:
    """Undo the import batch by batch; returns its result (also kept in undo_json)."""
    settings = settings or Settings()
    imp = session.get(ImportFile, import_id)
    spec = imaged(imp.module)
    name = spec.table.name
    imp.status = ImportStatus.undoing
    state = json.loads(imp.undo_json or "null") or {"removed": 0, "restored": 0,
                                                    "kept_count": 0, "kept": []}
    imp.undo_json = json.dumps(state)
    session.commit()
    while True:
        rows = session.execute(select(IMAGE.c.record_id, IMAGE.c.before)
                               .where(*_images(imp.id, name))
                               .order_by(IMAGE.c.record_id)
                               .limit(min(settings.batch_size, MAX_BATCH))).all()
        if not rows:
            break
        _undo_batch(session, imp, spec, rows, state)
        imp.undo_json = json.dumps(state)
        settings.beat(session)
        session.commit()
    if imp.module in AFFECTS_BALANCES:
        recount_customer_balances(session, imp.organization_id)
    imp.status = ImportStatus.undone
    imp.undone_at = utcnow()
    session.commit()
    return result(imp)


def _undo_batch(session, imp, spec, rows, state):
    table, name = spec.table, spec.table.name
    ids = [record_id for record_id, _ in rows]
    later = _later_changes(session, imp, name, ids)
    created = [record_id for record_id, before in rows
               if before is None and record_id not in later]
    in_use = _in_use(session, spec, created)
    removed = [record_id for record_id in created if record_id not in in_use]
    restored = [(record_id, before) for record_id, before in rows
                if before is not None and record_id not in later]
    kept = {record_id: ("changed by a later file", later[record_id]) for record_id in later}
    kept.update({record_id: (f"still used by {noun}", None)
                 for record_id, noun in in_use.items()})
    connection = session.connection()
    if removed:
        if spec.tree:
            remove_return_trees(session, removed)
        if spec.lines is not None:
            connection.execute(delete(spec.lines).where(
                _among(session, spec.lines.c[spec.parent], removed)))
        connection.execute(delete(table).where(_among(session, table.c.id, removed)))
    if restored and spec.tree:
        restore_return_trees(session, restored)
    elif restored:
        _restore(session, imp, spec, restored)
        if "invoice_charge" in spec.children:
            _charges_follow(session, [record_id for record_id, _ in restored])
        if spec.lines is not None:
            _lines_back(session, spec, restored)
    if kept:
        _list_kept(session, spec, kept, state)
    connection.execute(delete(IMAGE).where(*_images(imp.id, name),
                                           _among(session, IMAGE.c.record_id, ids)))
    state["removed"] += len(removed)
    state["restored"] += len(restored)


def _restore(session, imp, spec, restored):
    """The records' columns set back from their images: one UPDATE ... FROM the image
    table, each column read from the image's JSON array (SQLite: json_extract;
    PostgreSQL: ->> cast to the column's type); an image that is a JSON object (a
    document's, with its lines) by an executemany of the values."""
    table = spec.table
    connection = session.connection()
    if connection.dialect.name == "postgresql" and _image_is_array(restored[0][1]):
        dialect = connection.dialect
        assignments = ", ".join(
            f'"{c}" = CAST(image.before::jsonb ->> {n} AS '
            f'{table.c[c].type.compile(dialect=dialect)})'
            for n, c in enumerate(spec.restored))
        # The batch's ids joined as a set (unnest): each is looked up on the keys of
        # both tables, where "record_id = ANY(:ids)" was a filter over all the file's
        # images (3 s a batch of 10,000).
        connection.execute(text(
            f'UPDATE "{table.name}" SET {assignments} FROM {IMAGE.name} AS image, '
            "unnest(CAST(:ids AS INTEGER[])) AS batch(id) "
            "WHERE image.import_id = :import_id AND image.table_name = :table_name "
            f'AND image.record_id = batch.id AND "{table.name}".id = batch.id'),
            {"import_id": imp.id, "table_name": table.name,
             "ids": [record_id for record_id, _ in restored]})
        return
    if connection.dialect.name == "sqlite" and _image_is_array(restored[0][1]):
        assignments = ", ".join(f'"{c}" = json_extract(image.before, \'$[{n}]\')'
                                for n, c in enumerate(spec.restored))
        connection.exec_driver_sql(
            f'UPDATE "{table.name}" SET {assignments} FROM {IMAGE.name} AS image '
            f'WHERE image.import_id = ? AND image.table_name = ? '
            f'AND image.record_id = "{table.name}".id '
            "AND image.record_id IN (SELECT value FROM json_each(?))",
            (imp.id, table.name, json.dumps([record_id for record_id, _ in restored])))
        return
    values = [dict(from_json(spec, before), _id=record_id) for record_id, before in restored]
    connection.execute(update(table).where(table.c.id == bindparam("_id"))
                       .values({c: bindparam(c) for c in spec.restored}), values)


def _lines_back(session, spec, restored):
    """A consolidated document's lines as they were: this file's lines removed, the
    earlier ones inserted again with their ids."""
    connection = session.connection()
    connection.execute(delete(spec.lines).where(
        _among(session, spec.lines.c[spec.parent], [record_id for record_id, _ in restored])))
    rows = [line for _, before in restored
            for line in lines_from_json(spec, json.loads(before).get("lines", []))]
    if rows:
        connection.execute(spec.lines.insert(), rows)


def _image_is_array(before):
    return before.startswith("[")


def _charges_follow(session, invoice_ids):
    """An invoice's total is its Additional Charge line: it follows the restored balance."""
    charge = InvoiceCharge.__table__
    balance = (select(OpenInvoice.balance).where(OpenInvoice.id == charge.c.invoice_id)
               .scalar_subquery())
    session.connection().execute(
        update(charge).where(_among(session, charge.c.invoice_id, invoice_ids),
                             charge.c.kind == "Additional Charge").values(amount=balance))


def _list_kept(session, spec, kept, state):
    state["kept_count"] += len(kept)
    room = KEPT_LISTED - len(state["kept"])
    if room <= 0:
        return
    chosen = sorted(kept)[:room]
    labels = record_labels(session, spec, chosen)
    files = dict(session.execute(select(ImportFile.id, ImportFile.filename).where(
        ImportFile.id.in_({later for _, later in kept.values() if later}))).all())
    for record_id in chosen:
        reason, later = kept[record_id]
        entry = {"table": spec.noun, "record": labels.get(record_id, f"#{record_id}"),
                 "reason": reason}
        if later:
            entry.update(later_import_id=later, later_file=files.get(later))
        state["kept"].append(entry)


def record_labels(session: Session, spec: Imaged, ids: Iterable[int]) -> dict:
    """record id -> its natural key as people read it ("C001", "P001 / JKT / 2025-01-31");
    a key that points at another record is shown by that record's code."""
    table = spec.table
    parts = []
    for key in spec.keys:
        column = table.c[key]
        target = next(iter(column.foreign_keys), None)
        if target is not None and "code" in target.column.table.c:
            parts.append(select(target.column.table.c.code)
                         .where(target.column == column).scalar_subquery())
        else:
            parts.append(column)
    rows = session.execute(select(table.c.id, *parts).where(table.c.id.in_(ids))).all()
    return {row[0]: " / ".join(str(v) for v in row[1:]) for row in rows}


def result(imp: ImportFile) -> dict:
    """The undo's result, as `muara undo --wait` prints it and the file's page shows it."""
    state = json.loads(imp.undo_json or "null") or {}
    out = {"import_id": imp.id, "status": str(imp.status),
           "removed": state.get("removed", 0), "restored": state.get("restored", 0),
           "kept": state.get("kept", []), "kept_count": state.get("kept_count", 0)}
    if "sheets" in state:  # a workbook's: each sheet's own counts
        out["sheets"] = state["sheets"]
    return out
