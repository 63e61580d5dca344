"""Synchronization of pushed documents (INT-2, SYN-2, SYN-3, SYN-4): take documents in
as sync records, apply them oldest first when the integration's sync settings say so,
retry failed ones, and the schedule check.

A record is taken in once per (integration, kind, reference); applying it writes the
document into its own table (or a customer into the master data) and marks the record
Success, or Failed with the reason. Applying holds a lock on the integration's row, so
two workers never apply one integration's records out of order.
"""
import datetime as dt
import json
import secrets
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import MuaraError, NotFound
from app.extensions import db
from app.models import (Customer, Integration, Product, SalesTransaction, SalesTransactionLine,
                        StockAdjustment, StockDocumentLine, StockOpname, StockTransfer)
from app.models.integrations import SyncMode
from app.models.sync import SyncRecord, SyncRun, SyncStatus
from app.models.tasks import BackgroundTask, TaskStatus, utcnow
from app.services.sync_documents import GROUPS, MASTER_KINDS, SALES_KINDS, payload_of

APPLY_JOB = "app.jobs.sync.apply_records"
SCHEDULE_JOB = "app.jobs.sync.run_due_syncs_job"
# Records applied per transaction (the integration's lock is held for one chunk).
CHUNK = 500


def _chunk():
    from flask import current_app
    return current_app.config.get("SYNC_CHUNK", CHUNK)


class SyncFailure(Exception):
    """A record that cannot be applied; its message is the reason shown on the panel."""


# --- settings (INT-2) -------------------------------------------------------------

def check_time(value, what):
    """"HH:MM" (24 hours) or None."""
    if value in (None, ""):
        return None
    value = value.strip()
    try:
        parsed = dt.datetime.strptime(value, "%H:%M")
    except ValueError:
        raise MuaraError(f"{what} must be a time of day as HH:MM (24 hours), got {value!r}") from None
    return parsed.strftime("%H:%M")


def check_settings(integration):
    """Validate the sync settings before they are written (form and CLI)."""
    integration.sync_time = check_time(integration.sync_time, "Sync time")
    integration.transfer_sync_time = check_time(integration.transfer_sync_time, "Transfer sync time")
    if integration.sync_mode == SyncMode.scheduled and not integration.sync_time:
        raise MuaraError("Sync on scheduled time needs the time of day (HH:MM).")
    if integration.transfer_sync_enabled and not integration.transfer_sync_time:
        raise MuaraError("Automatic transfer synchronization needs the time of day (HH:MM).")


# --- taking documents in (SYN-4) --------------------------------------------------

def _insert_ignoring_duplicates(rows):
    """Insert sync records, skipping those stored already (even by a push running at the
    same moment); returns {(kind, reference): id} of the rows this call inserted."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = SyncRecord.__table__
    statement = (insert(table)
                 .on_conflict_do_nothing(index_elements=["integration_id", "kind", "reference"])
                 .returning(table.c.kind, table.c.reference, table.c.id))
    return {(k, r): i for k, r, i in db.session.execute(statement, rows)}


def accept_documents(integration, documents):
    """Store validated documents as pending sync records (a document already stored,
    by kind and reference, is not stored again), then start what the sync settings say.
    Returns one result per document, in order."""
    if not integration.active:
        raise MuaraError(f"integration {integration.name} is inactive: it takes no documents")
    # Plain values: the commit below expires the row, and reloading it costs a query.
    integration_id, sync_mode = integration.id, integration.sync_mode
    keys = [(d["kind"], d["reference"]) for d in documents]
    now = utcnow()
    rows, seen = [], set()
    for document in documents:
        key = (document["kind"], document["reference"])
        if key in seen:
            continue
        seen.add(key)
        rows.append({"organization_id": integration.organization_id,
                     "integration_id": integration_id, "kind": key[0], "reference": key[1],
                     "document_date": document["date"], "status": SyncStatus.pending.name,
                     "attempts": 0, "received_at": now,
                     "payload": json.dumps(payload_of(document), separators=(",", ":"))})
    inserted = _insert_ignoring_duplicates(rows)
    stored = dict(inserted)
    stored.update(_record_ids(integration_id, [k for k in seen if k not in inserted]))
    db.session.commit()
    results, reported = [], set()
    for index, key in enumerate(keys):
        created = key in inserted and key not in reported
        reported.add(key)
        results.append({"index": index, "kind": key[0], "reference": key[1],
                        "record_id": stored.get(key),
                        "result": "stored" if created else "duplicate"})
    start_due_groups(integration_id, sync_mode, {k for k, _ in inserted})
    return results


def _record_ids(integration_id, keys):
    if not keys:
        return {}
    found = {}
    by_kind = {}
    for kind, reference in keys:
        by_kind.setdefault(kind, set()).add(reference)
    for kind, references in by_kind.items():
        rows = db.session.execute(
            select(SyncRecord.kind, SyncRecord.reference, SyncRecord.id)
            .where(SyncRecord.integration_id == integration_id, SyncRecord.kind == kind,
                   SyncRecord.reference.in_(references))).all()
        found.update({(k, r): i for k, r, i in rows})
    return found


def start_due_groups(integration_id, sync_mode, kinds):
    """Queue an apply pass for the kinds that apply at once under the settings."""
    groups = []
    if kinds & set(MASTER_KINDS):
        groups.append("master")
    if kinds & set(SALES_KINDS) and sync_mode == SyncMode.realtime:
        groups.append("sales")
    if groups:
        request_apply(integration_id, groups, "push")


def request_apply(integration_id, groups, trigger):
    """Queue an apply pass, unless one for the same groups is already waiting (it will
    see these records too): a burst of pushes costs a few passes, not one each."""
    from app.queue import queue
    args = json.dumps([integration_id, sorted(groups), trigger])
    waiting = db.session.execute(
        select(BackgroundTask.id).where(BackgroundTask.function == APPLY_JOB,
                                        BackgroundTask.status == TaskStatus.queued,
                                        BackgroundTask.args == args).limit(1)).first()
    if waiting:
        return None
    return queue().submit(APPLY_JOB, integration_id, sorted(groups), trigger)


def shift_closed(integration):
    """The source closed a register shift: in "on shift closing" mode the waiting sales
    documents are applied now. Returns how many records wait for that pass."""
    if not integration.active:
        raise MuaraError(f"integration {integration.name} is inactive")
    if integration.sync_mode != SyncMode.shift_closing:
        return {"applies": False, "pending": 0,
                "message": f"sync mode is {integration.sync_mode}: a shift closing starts nothing"}
    pending = _count(integration.id, SALES_KINDS, SyncStatus.pending)
    request_apply(integration.id, ["sales"], "shift_closed")
    return {"applies": True, "pending": pending}


def _count(integration_id, kinds, status):
    return db.session.execute(
        select(func.count()).select_from(SyncRecord)
        .where(SyncRecord.integration_id == integration_id, SyncRecord.kind.in_(kinds),
               SyncRecord.status == status)).scalar()


# --- applying, oldest first (SYN-3) -------------------------------------------------

def lock_integration(integration_id):
    """Take the integration's row lock for this transaction: an UPDATE holds a row lock
    on PostgreSQL (the same as SELECT ... FOR UPDATE, without blocking inserts of its
    records) and SQLite's single write lock. A second applier waits here, then sees the
    first one's results."""
    touched = db.session.execute(update(Integration).where(Integration.id == integration_id)
                                 .values(sync_locked_at=utcnow())).rowcount
    if not touched:
        raise NotFound(f"integration #{integration_id} is gone")


def apply_pending(integration_id, groups, trigger, statuses=(SyncStatus.pending,),
                  record_ids=None):
    """Apply the integration's records of `groups` in `statuses`, oldest first, in chunks
    (one transaction and one lock each). Returns the runs' totals."""
    kinds = [k for g in groups for k in GROUPS[g]]
    chunk = _chunk()
    totals = {"run_ids": [], "succeeded": 0, "failed": 0}
    after = None
    while True:
        lock_integration(integration_id)
        query = (select(SyncRecord)
                 .where(SyncRecord.integration_id == integration_id,
                        SyncRecord.kind.in_(kinds), SyncRecord.status.in_(list(statuses)))
                 .order_by(SyncRecord.document_date, SyncRecord.id).limit(chunk))
        if record_ids is not None:
            query = query.where(SyncRecord.id.in_(record_ids))
        if after is not None:
            # Records failed in this call are not retried by its next chunk.
            query = query.where(or_(SyncRecord.document_date > after[0],
                                    and_(SyncRecord.document_date == after[0],
                                         SyncRecord.id > after[1])))
        records = db.session.execute(query).scalars().all()
        if not records:
            db.session.commit()
            return totals
        run = _apply_chunk(integration_id, records, trigger)
        after = (records[-1].document_date, records[-1].id)
        totals["run_ids"].append(run.id)
        totals["succeeded"] += run.succeeded
        totals["failed"] += run.failed
        db.session.commit()
        if len(records) < chunk:
            return totals


def _apply_chunk(integration_id, records, trigger):
    integration = db.session.get(Integration, integration_id)
    run = SyncRun(organization_id=integration.organization_id, integration_id=integration_id,
                  trigger=trigger, succeeded=0, failed=0)
    db.session.add(run)
    db.session.flush()
    context = ApplyContext(integration)
    for record in records:
        record.attempts = (record.attempts or 0) + 1
        record.last_attempt_at = utcnow()
        record.run_id = run.id
        try:
            with db.session.begin_nested():
                APPLY[record.kind](context, record, json.loads(record.payload))
        except SyncFailure as exc:
            record.status, record.reason = SyncStatus.failed, str(exc)
            run.failed += 1
            continue
        except (IntegrityError, ValueError, KeyError) as exc:
            record.status = SyncStatus.failed
            record.reason = f"could not be written: {type(exc).__name__}: {exc}"[:2000]
            run.failed += 1
            continue
        record.status, record.reason = SyncStatus.success, None
        run.succeeded += 1
    run.finished_at = utcnow()
    return run


class ApplyContext:
    """What applying needs, loaded once per chunk: the organization's product codes and
    its customers (by code and by the source's id)."""

    def __init__(self, integration):
        self.integration = integration
        self.org_id = integration.organization_id
        self.products = set(db.session.execute(
            select(Product.code).where(Product.organization_id == self.org_id)).scalars())
        self._customers = None

    def customer_code(self, named):
        """The code of the customer a document names, by its code or by the source's
        customer id (what a POS knows it by when Muara generated the code)."""
        if named is None:
            return None  # a walk-in sale
        if self._customers is None:
            self._customers = {}
            for code, source_id in db.session.execute(
                    select(Customer.code, Customer.source_id)
                    .where(Customer.organization_id == self.org_id)):
                self.knows_customer(code, source_id)
        code = self._customers.get(named)
        if code is None:
            raise SyncFailure(f"unknown customer {named}: synchronize the customer (or add "
                              "it to the customers of the organization), then refresh")
        return code

    def knows_customer(self, code, source_id):
        if self._customers is not None:
            if source_id:
                self._customers.setdefault(source_id, code)
            self._customers[code] = code

    def check_products(self, lines):
        unknown = sorted({line["product"] for line in lines} - self.products)
        if unknown:
            raise SyncFailure(f"unknown product {', '.join(unknown)}: add it to the "
                              "products of the organization, then refresh")


def _upsert(model, context, record, payload, match=(), **values):
    """The document's row (found by reference and `match`, else new) with `values`."""
    row = db.session.execute(select(model).where(
        model.organization_id == context.org_id, model.integration_id == context.integration.id,
        model.reference == record.reference, *match)).scalar()
    if row is None:
        row = model(organization_id=context.org_id, integration_id=context.integration.id,
                    reference=record.reference)
        db.session.add(row)
    row.document_date = record.document_date.date()
    row.location_code = payload.get("location")
    for key, value in values.items():
        setattr(row, key, value)
    return row


def _stock_lines(lines):
    return [StockDocumentLine(product_code=line["product"], quantity=Decimal(line["quantity"]))
            for line in lines]


def apply_sales_transaction(context, record, payload):
    context.check_products(payload["lines"])
    lines = [SalesTransactionLine(product_code=line["product"],
                                  quantity=Decimal(line["quantity"]),
                                  unit_price=Decimal(line["unit_price"]))
             for line in payload["lines"]]
    customer_code = context.customer_code(payload.get("customer"))
    row = _upsert(SalesTransaction, context, record, payload,
                  customer_code=customer_code,
                  total=sum(line.quantity * line.unit_price for line in lines))
    row.lines = lines


def apply_transfer_out(context, record, payload):
    context.check_products(payload["lines"])
    row = _upsert(StockTransfer, context, record, payload,
                  match=[StockTransfer.direction == "out"], direction="out",
                  destination_code=payload["destination"])
    row.lines = _stock_lines(payload["lines"])


def apply_transfer_in(context, record, payload):
    out_reference = payload["transfer_out"]
    out_status = db.session.execute(
        select(SyncRecord.status).where(SyncRecord.integration_id == context.integration.id,
                                        SyncRecord.kind == "transfer_out",
                                        SyncRecord.reference == out_reference)).scalar()
    if out_status != SyncStatus.success:
        state = "was not received" if out_status is None else f"is {out_status.label.lower()}"
        raise SyncFailure(f"transfer out {out_reference} has not been synchronized ({state}): "
                          "fix and refresh it first, then refresh this transfer in")
    context.check_products(payload["lines"])
    row = _upsert(StockTransfer, context, record, payload,
                  match=[StockTransfer.direction == "in"], direction="in",
                  transfer_out_reference=out_reference)
    row.lines = _stock_lines(payload["lines"])


def apply_stock_adjustment(context, record, payload):
    context.check_products(payload["lines"])
    row = _upsert(StockAdjustment, context, record, payload, note=payload.get("note"))
    row.lines = _stock_lines(payload["lines"])


def apply_stock_opname(context, record, payload):
    context.check_products(payload["lines"])
    row = _upsert(StockOpname, context, record, payload)
    row.lines = _stock_lines(payload["lines"])


def apply_customer(context, record, payload):
    """Customer data mapping (INT-2): with the flag on, the source's customer id is the
    customer code; without an id, or with the flag off, a unique code is generated.
    The source id is kept either way, so a customer sent again is updated, not doubled."""
    source_id = (payload.get("customer_id") or "").strip() or None
    customer = None
    if source_id:
        customer = db.session.execute(select(Customer).where(
            Customer.organization_id == context.org_id, Customer.source_id == source_id)).scalar()
    if customer is None and source_id and context.integration.use_source_customer_id:
        customer = db.session.execute(select(Customer).where(
            Customer.organization_id == context.org_id, Customer.code == source_id)).scalar()
    if customer is None:
        code = (source_id if source_id and context.integration.use_source_customer_id
                else generated_customer_code(context.org_id))
        customer = Customer(organization_id=context.org_id, code=code, balance=0)
        db.session.add(customer)
    customer.name = payload["name"]
    customer.source_id = source_id
    db.session.flush()  # a code that could not be written is not offered to sales
    context.knows_customer(customer.code, source_id)


def generated_customer_code(org_id):
    while True:
        code = "C-" + secrets.token_hex(4).upper()
        taken = db.session.execute(select(Customer.id).where(
            Customer.organization_id == org_id, Customer.code == code)).first()
        if not taken:
            return code


APPLY = {"sales_transaction": apply_sales_transaction, "transfer_out": apply_transfer_out,
         "transfer_in": apply_transfer_in, "stock_adjustment": apply_stock_adjustment,
         "stock_opname": apply_stock_opname, "customer": apply_customer}


# --- status and refresh (SYN-2) -------------------------------------------------------

def record_entry(record):
    return {"id": record.id, "run_id": record.run_id, "kind": record.kind,
            "reference": record.reference, "document_date": record.document_date.isoformat(),
            "status": record.status.label, "reason": record.reason,
            "attempts": record.attempts,
            "last_attempt_at": record.last_attempt_at.isoformat() if record.last_attempt_at else None}


def sync_status(integration):
    """Every sync record of the integration, oldest first (`muara sync-status`)."""
    records = db.session.execute(
        select(SyncRecord).where(SyncRecord.integration_id == integration.id)
        .order_by(SyncRecord.document_date, SyncRecord.id)).scalars()
    return [record_entry(r) for r in records]


def refresh(integration, record_id=None):
    """Retry one failed record, or every failed one oldest first (the panel's Refresh)."""
    from app.services.service_links import supports
    if supports(integration):
        # Its records were pulled from the service, not pushed: pulling again is the retry.
        raise MuaraError(f"the records of {integration.name} come from its service: retry "
                         "them with Sync Master Data or Sync Transaction on its service "
                         "connection page (a sync resumes where it stopped)")
    ids = None
    if record_id is not None:
        record = db.session.get(SyncRecord, record_id)
        if record is None or record.integration_id != integration.id:
            raise NotFound(f"no sync record #{record_id} in integration {integration.name}")
        if record.status != SyncStatus.failed:
            raise MuaraError(f"sync record #{record_id} is {record.status.label.lower()}: "
                             "only failed records are refreshed")
        ids = [record_id]
    result = apply_pending(integration.id, list(GROUPS), "refresh",
                           statuses=(SyncStatus.failed,), record_ids=ids)
    return result


def sync_now(integration, transfers_only=False):
    """Apply the waiting records by hand (the "Sync transfers now" button, needed when
    automatic transfer synchronization is off)."""
    groups = ["transfers"] if transfers_only else list(GROUPS)
    return apply_pending(integration.id, groups, "manual")


# --- the schedule (INT-2 "scheduled time", transfer sync time) ----------------------

def due_sync_integrations(now):
    """[(integration id, group, ran-on column)] whose scheduled time has come today and
    that have not run today. `now` is UTC (naive)."""
    today, clock = now.date(), now.strftime("%H:%M")
    due = []
    rows = db.session.execute(select(Integration).where(
        Integration.active.is_(True),
        or_(Integration.sync_mode == SyncMode.scheduled,
            Integration.transfer_sync_enabled.is_(True)))).scalars()
    for integration in rows:
        if (integration.sync_mode == SyncMode.scheduled and integration.sync_time
                and integration.sync_time <= clock and integration.sync_ran_on != today):
            due.append((integration.id, "sales", "sync_ran_on"))
        if (integration.transfer_sync_enabled and integration.transfer_sync_time
                and integration.transfer_sync_time <= clock
                and integration.transfer_sync_ran_on != today):
            due.append((integration.id, "transfers", "transfer_sync_ran_on"))
    return due


def run_due_syncs(now):
    """The scheduling entry point (one plain function for a scheduler to call): queue an
    apply pass for each schedule whose time has come. Each schedule is claimed by a
    compare-and-set on its ran-on day, so many processes calling this queue it once."""
    queued = []
    today = now.date()
    for integration_id, group, column in due_sync_integrations(now):
        ran_on = getattr(Integration, column)
        won = db.session.execute(
            update(Integration).where(Integration.id == integration_id,
                                      or_(ran_on.is_(None), ran_on != today))
            .values({column: today})).rowcount
        db.session.commit()
        if won:
            trigger = "scheduled" if group == "sales" else "transfer_schedule"
            request_apply(integration_id, [group], trigger)
            queued.append((integration_id, group))
    return queued


def settings_of(integration):
    return {"sync_mode": str(integration.sync_mode), "sync_time": integration.sync_time,
            "transfer_sync_enabled": integration.transfer_sync_enabled,
            "transfer_sync_time": integration.transfer_sync_time,
            "use_source_customer_id": integration.use_source_customer_id}
