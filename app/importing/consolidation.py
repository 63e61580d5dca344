"""Consolidation of a staged file (seed 000, SYN-1): its documents reach the consolidated
tables, the file is archived and leaves the Imported list. No Flask here.

One file = one transaction. The file is claimed by a compare-and-set on its status inside
that transaction (imported + staged -> processing), so two workers, or Sync All pressed
twice, consolidate it once: on PostgreSQL the second claim waits for the first
transaction and then finds the file taken; on SQLite writers are serialised. A worker
killed in the middle rolls everything back, the claim included: nothing is half-visible
and the file is still waiting, so the next run consolidates it whole.

A document already written by a later file is left alone (file_id, in SQL too), so the
same document number in two files ends as the later file has it, never twice.
Master data is resolved again here: a code deleted since the file was staged fails the
file with its reason; it stays in the Imported list, to be re-processed once fixed.
"""
import datetime as dt
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Callable, Optional

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from app.errors import TaskSuperseded
from app.importing import consolidation_sql
from app.importing.before_images import (
    consolidation_images,
    existing_rows,
    imaged,
    same_value,
)
from app.importing.before_images import (
    lines_of as stored_lines,
)
from app.importing.modules import MODULES, STAGED_MODULES
from app.importing.natural_keys import close_resolved_files
from app.importing.writers import insert_rows, upsert
from app.models import Customer, ImportFile, Location, Organization, Product, StagedRow
from app.models import consolidated as documents
from app.models.imports import ImportStatus
from app.models.organizations import OrgKind
from app.models.tasks import utcnow

log = logging.getLogger(__name__)
# Documents read and written together (the job's heartbeat between two chunks): the
# per-record path holds a chunk's records in memory; the SQL path (SQLite) holds them in
# a temporary table and pays a dozen statements per chunk whatever its size (100,000
# lines: 1000 documents a chunk ran at 91-97k lines per CPU second, 5000 at 103-106k).
DOCUMENTS_PER_CHUNK = 1000
DOCUMENTS_PER_SQL_CHUNK = 5000
CENT = Decimal("0.001")
LATER_FILE_WINS = "{table}.file_id <= excluded.file_id"


@dataclass
class Outcome:
    import_id: int
    status: str  # consolidated | skipped (taken by another run, or not waiting) | failed
    records: int = 0
    reason: Optional[str] = None
    message: Optional[str] = None


class MasterDataMissing(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


@dataclass(frozen=True)
class DocumentTarget:
    """Where a header-and-lines module's documents go."""
    header: object
    lines: object
    parent: str  # the lines' foreign key to the header
    date: str
    references: tuple  # (field, lookup) of the header: written as field + "_id"
    price: str


TARGETS = {
    "sales_orders": DocumentTarget(
        documents.SalesOrder.__table__, documents.SalesOrderLine.__table__, "order_id",
        "order_date", (("customer", "customer"), ("location", "location")), "unit_price"),
    "sales_invoices": DocumentTarget(
        documents.SalesInvoice.__table__, documents.SalesInvoiceLine.__table__, "invoice_id",
        "invoice_date", (("customer", "customer"), ("location", "location")), "unit_price"),
    "purchase_invoices": DocumentTarget(
        documents.PurchaseInvoice.__table__, documents.PurchaseInvoiceLine.__table__,
        "invoice_id", "invoice_date", (("supplier", "principal"),), "unit_cost"),
}


def consolidate_file(session: Session, import_id: int,
                     checkpoint: Optional[Callable] = None) -> Outcome:
    """Consolidate one staged file in one transaction. `checkpoint(session)` is called after
    each chunk of documents (the job's heartbeat; it may raise to stop: nothing commits)."""
    claimed = session.execute(
        update(ImportFile)
        .where(ImportFile.id == import_id, ImportFile.status == ImportStatus.imported,
               ImportFile.staged_at.isnot(None))
        .values(status=ImportStatus.processing)).rowcount
    if not claimed:
        session.rollback()
        return Outcome(import_id, "skipped")
    imp = session.execute(select(ImportFile).where(ImportFile.id == import_id)
                          .execution_options(populate_existing=True)).scalar_one()
    try:
        if imp.principal_id is None:
            raise MasterDataMissing("no_principal", "The principal this file was shared with "
                                                    "no longer exists.")
        module = MODULES[imp.module]
        if module.has_lines:
            records = _documents(session, imp, module, TARGETS[module.name], checkpoint)
        else:
            records = _visits(session, imp, checkpoint)
    except MasterDataMissing as missing:
        session.rollback()
        _fail(session, import_id, missing.reason, missing.message)
        return Outcome(import_id, "failed", reason=missing.reason, message=missing.message)
    except TaskSuperseded:
        session.rollback()
        raise
    except Exception as exc:
        # A fault of this file must not stop the other files of the run: it stays in the
        # Imported list with a reason, and the task's log keeps the traceback.
        session.rollback()
        log.exception("consolidation of file %s failed", import_id)
        message = (f"Consolidation stopped because of an internal error ({type(exc).__name__}). "
                   "Re-process the file once the problem is fixed.")
        _fail(session, import_id, "internal_error", message)
        return Outcome(import_id, "failed", reason="internal_error", message=message)
    session.execute(delete(StagedRow).where(StagedRow.import_id == import_id))
    imp.status = ImportStatus.needs_attention if imp.rejected else ImportStatus.archived
    imp.consolidated_at = imp.finished_at = utcnow()
    imp.consolidated_records = records
    imp.error_code = None
    session.flush()
    close_resolved_files(session, [import_id])  # its rejections resolved while it waited
    session.commit()
    return Outcome(import_id, "consolidated", records=records)


def _fail(session, import_id, reason, message):
    """The file stays in the Imported list with its reason (seed 000); its staged rows stay
    until it is re-processed."""
    session.execute(
        update(ImportFile)
        .where(ImportFile.id == import_id, ImportFile.status == ImportStatus.imported)
        .values(status=ImportStatus.failed, error_code=reason, error_message=message,
                finished_at=utcnow()))
    session.commit()


# --- reading staging ---------------------------------------------------------------------

def _document_ranges(session, import_id, size=None):
    """The file's documents in chunks of `size` (DOCUMENTS_PER_CHUNK): the first and last
    number of each."""
    last = None
    while True:
        query = (select(StagedRow.document).where(StagedRow.import_id == import_id)
                 .group_by(StagedRow.document).order_by(StagedRow.document)
                 .limit(size or DOCUMENTS_PER_CHUNK))
        if last is not None:
            query = query.where(StagedRow.document > last)
        chunk = query.subquery()
        first, last = session.execute(select(func.min(chunk.c.document),
                                             func.max(chunk.c.document))).one()
        if first is None:
            return
        yield first, last


def _chunk_records(session, import_id, first, last):
    """[(document, [record, ...])] of one chunk, rows in file order."""
    grouped = {}
    # The chunk's rows by their documents' range (no list of a thousand parameters),
    # their JSON decoded in one call.
    found = session.execute(
        select(StagedRow.document, StagedRow.data)
        .where(StagedRow.import_id == import_id, StagedRow.document >= first,
               StagedRow.document <= last)
        .order_by(StagedRow.document, StagedRow.row, StagedRow.id)).all()
    records = json.loads("[" + ",".join(data for _, data in found) + "]")
    for (document, _), record in zip(found, records, strict=True):
        grouped.setdefault(document, []).append(record)
    return list(grouped.items())


def _document_chunks(session, import_id):
    """[(document, [record, ...])] in chunks of documents, rows in file order."""
    for first, last in _document_ranges(session, import_id):
        yield _chunk_records(session, import_id, first, last)


class _Lookups:
    """Codes of the distributor's master data, loaded once per file; a code that is gone
    is remembered with its document, for the file's failure reason."""

    def __init__(self, session, org_id):
        self.session, self.org_id = session, org_id
        self.tables = {}
        self.missing = {}  # (kind, code) -> [documents]

    def _table(self, kind):
        if kind not in self.tables:
            if kind == "principal":
                query = select(Organization.code, Organization.id).where(
                    Organization.kind == OrgKind.principal)
            else:
                model = {"customer": Customer, "location": Location, "product": Product}[kind]
                query = select(model.code, model.id).where(model.organization_id == self.org_id)
            self.tables[kind] = dict(self.session.execute(query).all())
        return self.tables[kind]

    def id(self, kind, code, document):
        if code is None:
            return None
        found = self._table(kind).get(code)
        if found is None:
            self.missing.setdefault((kind, code), []).append(document)
        return found

    def check(self):
        if not self.missing:
            return
        (kind, _), *_ = self.missing
        parts = [f"{k} {code} (in {', '.join(map(str, docs[:3]))}"
                 f"{', ...' if len(docs) > 3 else ''})"
                 for (k, code), docs in self.missing.items()]
        raise MasterDataMissing(
            f"unknown_{kind}",
            "Master data used by this file no longer exists: " + "; ".join(parts)
            + ". Fix the master data, then re-process the file.")


# --- header and lines ----------------------------------------------------------------------

def _document_records(imp, target, chunk, lookups, now):
    """The headers of a chunk's documents as the consolidation writes them, and each
    document's lines (number -> [line])."""
    headers, lines_of = [], {}
    for number, records in chunk:
        head = next(r for r in records if r.get(target.date) is not None)
        lines, total = [], Decimal(0)
        for r in records:
            if r.get("product") is None:
                continue  # the header alone
            quantity, price = Decimal(r["quantity"]), Decimal(r[target.price])
            amount = (quantity * price).quantize(CENT)
            total += amount
            lines.append({"line_no": len(lines) + 1,
                          "product_id": lookups.id("product", r["product"], number),
                          "quantity": quantity, target.price: price, "amount": amount})
        header = {"organization_id": imp.organization_id, "principal_id": imp.principal_id,
                  "file_id": imp.id, "consolidated_at": now, "number": number,
                  target.date: dt.date.fromisoformat(head[target.date]),
                  "line_count": len(lines), "total": total}
        for field, kind in target.references:
            header[field + "_id"] = lookups.id(kind, head.get(field), number)
        headers.append(header)
        lines_of[number] = lines
    return headers, lines_of


def set_wise(session: Session) -> bool:
    """Whether the documents are written in SQL (consolidation_sql): on SQLite."""
    return session.connection().dialect.name == "sqlite"


def _documents(session, imp, module, target, checkpoint):
    if set_wise(session):
        return _documents_in_sql(session, imp, module, target, checkpoint)
    lookups = _Lookups(session, imp.organization_id)
    now = utcnow()
    written = 0
    header_table, line_table = target.header, target.lines
    spec = imaged(module.name)
    # Lines go to the driver as plain rows (writers.insert_rows); SQLite keeps numbers as
    # floats, as SQLAlchemy's Numeric does there.
    number = float if session.connection().dialect.name == "sqlite" else Decimal
    for chunk in _document_chunks(session, imp.id):
        headers, lines_of = _document_records(imp, target, chunk, lookups, now)
        lookups.check()
        updates = [c for c in headers[0] if c not in ("organization_id", "number")]
        # The documents this file owns now get its lines; a later file's stay as they are.
        # Each one it owns keeps its before-image (undo).
        owned = consolidation_images(
            session, spec, imp.id, imp.organization_id, [(n,) for n in lines_of],
            partial(upsert, session, header_table, headers, keys=("organization_id", "number"),
                    updates=updates, only_if=LATER_FILE_WINS.format(table=header_table.name)))
        owned = {key[0]: record_id for key, record_id in owned.items()}
        if owned:
            parent = line_table.c[target.parent]
            session.execute(delete(line_table).where(parent.in_(list(owned.values()))))
            rows = [{**{k: number(v) if isinstance(v, Decimal) else v
                        for k, v in line.items()}, target.parent: owned[document]}
                    for document, lines in lines_of.items() if document in owned
                    for line in lines]
            insert_rows(session, line_table, rows)
        written += len(owned)
        if checkpoint:
            checkpoint(session)
    return written


def _documents_in_sql(session, imp, module, target, checkpoint):
    """SQLite: each chunk written by a few INSERT ... SELECT from staging
    (consolidation_sql); a chunk with a fault goes through the per-record path, which
    names it and fails the file."""
    connection = session.connection()
    consolidation_sql.prepare(connection)
    spec = imaged(module.name)
    # The datetime as writers.upsert gives it to SQLite.
    parameters = {"import": imp.id, "file": imp.id, "org": imp.organization_id,
                  "principal": imp.principal_id, "now": utcnow().isoformat(sep=" ")}
    written = 0
    for first, last in _document_ranges(session, imp.id, DOCUMENTS_PER_SQL_CHUNK):
        chunk = {**parameters, "first": first, "last": last}
        if not consolidation_sql.read_chunk(connection, target, chunk):
            lookups = _Lookups(session, imp.organization_id)
            _document_records(imp, target, _chunk_records(session, imp.id, first, last),
                              lookups, None)
            lookups.check()
        written += consolidation_sql.write_chunk(connection, target, spec, chunk)
        if checkpoint:
            checkpoint(session)
    consolidation_sql.release(connection, target)
    return written


# --- one row per record ----------------------------------------------------------------------

VISIT_KEY = ("visit_date", "salesperson", "customer_id", "check_in")


def _visit_records(imp, chunk, lookups, now):
    rows = []
    for key, records in chunk:
        r = records[-1]
        rows.append({"organization_id": imp.organization_id,
                     "principal_id": imp.principal_id, "file_id": imp.id,
                     "consolidated_at": now,
                     "visit_date": dt.date.fromisoformat(r["visit_date"]),
                     "salesperson": r["salesperson"],
                     "customer_id": lookups.id("customer", r["customer"], key),
                     "check_in": r["check_in"], "check_out": r.get("check_out"),
                     "notes": r.get("notes")})
    return rows


def _visits(session, imp, checkpoint):
    lookups = _Lookups(session, imp.organization_id)
    now = utcnow()
    written = 0
    table = documents.DailyVisit.__table__
    spec = imaged("daily_visits")
    for chunk in _document_chunks(session, imp.id):
        rows = _visit_records(imp, chunk, lookups, now)
        lookups.check()
        consolidation_images(
            session, spec, imp.id, imp.organization_id,
            [tuple(row[k] for k in VISIT_KEY) for row in rows],
            partial(upsert, session, table, rows, keys=("organization_id", *VISIT_KEY),
                    updates=("principal_id", "file_id", "consolidated_at", "check_out",
                             "notes"),
                    only_if=LATER_FILE_WINS.format(table=table.name)))
        written += len(rows)
        if checkpoint:
            checkpoint(session)
    return written


def check_counts(session: Session, imp: ImportFile) -> dict:
    """What consolidating the file's staged rows would do (check only), per document or
    visit: create, update, or leave unchanged (the same values, or a later file owns it).
    Reads the consolidated tables, writes nothing."""
    module = MODULES[imp.module]
    spec = imaged(module.name)
    lookups = _Lookups(session, imp.organization_id)
    counts = {"would_create": 0, "would_update": 0, "unchanged": 0}
    for chunk in _document_chunks(session, imp.id):
        if module.has_lines:
            target = TARGETS[module.name]
            records, lines_of = _document_records(imp, target, chunk, lookups, None)
        else:
            records, lines_of = _visit_records(imp, chunk, lookups, None), {}
        keys = [tuple(r[k] for k in spec.keys) for r in records]
        found = existing_rows(session, spec, imp.organization_id, keys,
                              ("file_id", *spec.compared))
        old_lines = stored_lines(session, spec, [row[0] for row in found.values()])
        for key, record in zip(keys, records, strict=True):
            row = found.get(key)
            if row is None:
                counts["would_create"] += 1
            elif row[1] > imp.id or (_same_values(spec, record, row[2:])
                                     and _same_lines(spec, lines_of.get(key[0]),
                                                     old_lines.get(row[0], []))):
                counts["unchanged"] += 1
            else:
                counts["would_update"] += 1
    return counts


def _same_values(spec, record, old):
    return all(same_value(record.get(name), value)
               for name, value in zip(spec.compared, old, strict=True))


def _same_lines(spec, new, old):
    if spec.lines is None:
        return True
    names = [c.name for c in spec.lines.columns]
    old = [dict(zip(names, line, strict=True)) for line in old]
    return len(new) == len(old) and all(
        same_value(a.get(name), b[name]) for a, b in zip(new, old, strict=True) for name in a)


def pending_query(principal_id: Optional[int] = None) -> Select:
    """Files waiting for consolidation, oldest first (a later file updates an earlier one)."""
    query = (select(ImportFile.id)
             .where(ImportFile.module.in_(STAGED_MODULES),
                    ImportFile.status == ImportStatus.imported,
                    ImportFile.staged_at.isnot(None))
             .order_by(ImportFile.id))
    if principal_id is not None:
        query = query.where(ImportFile.principal_id == principal_id)
    return query
