"""Service pulls (docs/glossary.md): Sync Master Data / Sync Transaction (INT-3). Page
through the service, upsert each document into Muara's tables and write one sync record
per document (SYN-2).

Each page is one transaction: its rows, their sync records, the run's counters and the
cursor move together, so a run that fails mid-way (a 500 on page 3) keeps pages 1-2,
and the retry starts at page 3. Upserts make a re-read page change nothing twice.
"""
import datetime as dt
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Callable, Optional

from sqlalchemy import delete, insert, select

from app.connectors.base import ConnectorError, MissingAccessRight
from app.errors import MuaraError
from app.extensions import db
from app.importing.writers import upsert
from app.models import Customer, Integration, Location, Product, UnitOfMeasure
from app.models.service_links import (
    Employee,
    LinkStatus,
    PaymentTerm,
    ServiceSalesOrder,
    ServiceSalesOrderLine,
    SyncCursor,
    Tax,
)
from app.models.sync import SyncRecord, SyncRun, SyncStatus
from app.models.tasks import BackgroundTask, TaskStatus, utcnow
from app.queue import beat, job, job_path, queue
from app.services.service_links import ServiceClient, connector, link_of

GROUPS = {"master_data": "Sync Master Data", "transaction": "Sync Transaction"}


class BadRow(Exception):
    """A document that cannot be applied; its message is the sync record's reason."""


def run_pull(integration: Integration, group: str,
             heartbeat: Optional[Callable] = None) -> SyncRun:
    """One run of `group` (master_data / transaction). Returns the run. `heartbeat(session)`
    is called before each page commits (the job runner's beat: the task is alive)."""
    run = SyncRun(integration_id=integration.id, organization_id=integration.organization_id,
                  trigger=group)
    db.session.add(run)
    db.session.commit()
    link = link_of(integration)
    if link is None or link.status != LinkStatus.connected:
        run.message = "The service is not connected: press Connect and choose a branch first."
        run.finished_at = utcnow()
        db.session.commit()
        return run
    run_id = run.id
    try:
        _pull_group(integration, link, run, group, heartbeat or (lambda session: None))
    except ConnectorError as exc:
        db.session.rollback()
        run = db.session.get(SyncRun, run_id)
        run.message = str(exc)
        # Shown on the integration until the next good run (a revoked grant has already
        # disconnected the link with its own message).
        if isinstance(exc, MissingAccessRight):
            link.message = str(exc)
    except Exception as exc:
        # Not the service's fault (a database error, the task handed to another run): the
        # run still ends, so its screen does not wait for it forever.
        db.session.rollback()
        run = db.session.get(SyncRun, run_id)
        run.message = f"The sync stopped: {type(exc).__name__}. Pages already read are kept."
        run.finished_at = utcnow()
        db.session.commit()
        raise
    run.finished_at = utcnow()
    db.session.commit()
    return run


def _pull_group(integration, link, run, group, heartbeat):
    client = ServiceClient(integration, link)
    # A branch session is short-lived: open it at the start of every run.
    session = client.reopen_branch()
    link.message = None
    db.session.commit()
    resources = client.service.resources(group)
    cursors = _cursors(integration, [r.kind for r in resources])
    for resource in resources:
        cursor = cursors[resource.kind]
        while not cursor.finished:
            # Called at once, in this iteration: the loop's resource and cursor are meant.
            page = client.call(lambda service, token, resource=resource, cursor=cursor:
                               service.fetch_page(token, session, resource, cursor.next_page))
            ok, failed = apply_page(integration, run, resource.kind, page.rows)
            run.succeeded += ok
            run.failed += failed
            if page.last or not page.rows:
                cursor.finished = True
            else:
                cursor.next_page = page.page + 1
            heartbeat(db.session)
            db.session.commit()
    # The whole group went through: the next run reads everything again.
    for cursor in cursors.values():
        cursor.finished, cursor.next_page = False, 1


def _cursors(integration, kinds):
    existing = {c.resource: c for c in db.session.execute(
        select(SyncCursor).where(SyncCursor.integration_id == integration.id,
                                 SyncCursor.resource.in_(kinds))).scalars()}
    for kind in kinds:
        if kind not in existing:
            existing[kind] = SyncCursor(integration_id=integration.id, resource=kind,
                                        organization_id=integration.organization_id,
                                        next_page=1, finished=False)
            db.session.add(existing[kind])
    db.session.flush()
    return existing


def apply_page(integration: Integration, run: SyncRun, kind: str,
               rows: list[dict]) -> tuple[int, int]:
    """Upsert one page of `kind` and its sync records; (succeeded, failed)."""
    prepare, write = APPLIERS[kind]
    now = utcnow()
    outcomes = []   # (reference, document date, row, reason or None)
    good = []
    for row in rows:
        reference = str(row.get("id") or row.get("number") or row.get("no") or "").strip()
        try:
            if not reference:
                raise BadRow("the document has no id")
            values = prepare(row)
            good.append(values)
            outcomes.append([reference, values.get("_date") or now, row, None, values])
        except BadRow as exc:
            outcomes.append([reference or f"row-{len(outcomes) + 1}", now, row, str(exc), None])
    problems = write(integration, good)   # {id(values): reason} for rows the write refused
    for outcome in outcomes:
        if outcome[4] is not None and id(outcome[4]) in problems:
            outcome[3] = problems[id(outcome[4])]
    _record(integration, run, kind, outcomes, now)
    failed = sum(1 for o in outcomes if o[3])
    return len(outcomes) - failed, failed


def _record(integration, run, kind, outcomes, now):
    refs = [o[0] for o in outcomes]
    existing = {r.reference: r for r in db.session.execute(
        select(SyncRecord).where(SyncRecord.integration_id == integration.id,
                                 SyncRecord.kind == kind,
                                 SyncRecord.reference.in_(refs))).scalars()}
    run_id = run.id
    for reference, document_date, row, reason, _ in outcomes:
        values = {"run_id": run_id, "document_date": document_date,
                  "status": SyncStatus.failed if reason else SyncStatus.success,
                  "reason": reason, "last_attempt_at": now,
                  "payload": json.dumps(row, default=str)}
        record = existing.get(reference)
        if record is None:
            record = SyncRecord(integration_id=integration.id, kind=kind, reference=reference,
                                organization_id=integration.organization_id, attempts=1,
                                **values)
            db.session.add(record)
            existing[reference] = record
        else:
            record.attempts += 1
            for name, value in values.items():
                setattr(record, name, value)


# -- per kind: prepare (row -> values, or BadRow) and write (upsert a page) ----------------

def _text(row, key, label, limit, required=True):
    value = row.get(key)
    if isinstance(value, dict):
        value = value.get("name") or value.get("no") or value.get("customerNo")
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise BadRow(f"{label} is missing")
    if len(value) > limit:
        raise BadRow(f"{label} '{value[:20]}...' is longer than {limit} characters")
    return value or None


def _number(value, label):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise BadRow(f"{label} '{value}' is not a number") from None


def _date(value, label):
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(str(value), fmt)
        except (TypeError, ValueError):
            continue
    raise BadRow(f"{label} '{value}' is not a date (DD/MM/YYYY)")


def _upsert(model, key, integration, values_list, keys=None, **fixed):
    """Upsert a page of `model` rows of the integration's organization on (organization,
    `key`), or on `keys`, through the one upsert (app.importing.writers). In each values
    dict "_name" is not a column and "+name" is set when the row is created only; a key
    given twice in a page ends as its last row says (its "+" values as its first)."""
    rows, once = {}, {"organization_id", key, *(keys or ())}
    for values in values_list:
        row = {"organization_id": integration.organization_id, **fixed}
        for name, value in values.items():
            if name[0] == "+":
                once.add(name[1:])
            if name[0] != "_":
                row[name.lstrip("+")] = value
        earlier = rows.get(values[key])
        if earlier is not None:
            row.update({name: earlier[name] for name in once if name in earlier})
        rows[values[key]] = row
    if not rows:
        return
    table = model.__table__
    if "synced_at" in table.c:  # when the service last gave the row
        for row in rows.values():
            row["synced_at"] = utcnow()
    columns = next(iter(rows.values()))
    upsert(db.session, table, list(rows.values()), keys=keys or ("organization_id", key),
           updates=[name for name in columns if name not in once])


def _simple_writer(model, key, **created_with):
    def write(integration, values_list):
        _upsert(model, key, integration,
                [{**v, **{"+" + k: value for k, value in created_with.items()}}
                 for v in values_list])
        return {}
    return write


def _customer(row):
    return {"code": _text(row, "customerNo", "Customer number", 40),
            "name": _text(row, "name", "Customer name", 200), "source_id": str(row["id"])}


def _item(row):
    return {"code": _text(row, "no", "Item number", 40),
            "name": _text(row, "name", "Item name", 200),
            "unit": _text(row, "unit1", "Unit", 20, required=False) or "PCS"}


def _unit(row):
    return {"code": _text(row, "name", "Unit name", 20),
            "name": _text(row, "name", "Unit name", 100),
            "_ref": str(row["id"])}


def _write_units(integration, values_list):
    for values in values_list:  # a new unit gets a stable guid; a known one keeps its own
        values["+guid"] = str(uuid.uuid5(uuid.NAMESPACE_URL,
                                         f"service-unit:{integration.id}:{values['_ref']}"))
    _upsert(UnitOfMeasure, "code", integration, values_list)
    return {}


def _warehouse(row):
    name = _text(row, "name", "Warehouse name", 40)
    return {"code": name, "name": _text(row, "description", "Description", 200,
                                        required=False) or name}


def _tax(row):
    code = _text(row, "taxCode", "Tax code", 40)
    return {"reference": str(row["id"]), "code": code,
            "name": _text(row, "description", "Description", 200, required=False) or code,
            "rate": _number(row.get("rate"), "Rate")}


def _payment_term(row):
    days = _number(row.get("netDays"), "Net days")
    return {"reference": str(row["id"]), "name": _text(row, "name", "Payment term name", 200),
            "net_days": int(days) if days is not None else None}


def _employee(row):
    return {"reference": str(row["id"]), "number": _text(row, "number", "Employee number", 40,
                                                         required=False),
            "name": _text(row, "name", "Employee name", 200)}


def _sales_order(row):
    customer = row.get("customer") or {}
    lines = []
    for number, detail in enumerate(row.get("detailItem") or [], start=1):
        item = detail.get("item") or {}
        lines.append({"line_no": number,
                      "item_code": _text(item, "no", f"Line {number} item number", 40),
                      "quantity": _number(detail.get("quantity"), f"Line {number} quantity")
                      or Decimal(0),
                      "unit": _text(detail, "itemUnit", "Unit", 20, required=False),
                      "unit_price": _number(detail.get("unitPrice"), f"Line {number} price")})
    return {"reference": str(row["id"]), "number": _text(row, "number", "Order number", 60),
            "order_date": _date(row.get("transDate"), "Order date").date(),
            "_date": _date(row.get("transDate"), "Order date"),
            "customer_code": _text(customer if isinstance(customer, dict) else
                                   {"customerNo": customer}, "customerNo", "Customer number", 40),
            "status": _text(row, "statusName", "Status", 60, required=False),
            "total": _number(row.get("totalAmount"), "Total"), "_lines": lines}


def _write_sales_orders(integration, values_list):
    org_id = integration.organization_id
    codes = {v["customer_code"] for v in values_list}
    items = {i for v in values_list for i in (line["item_code"] for line in v["_lines"])}
    customers = dict(db.session.execute(select(Customer.code, Customer.id).where(
        Customer.organization_id == org_id, Customer.code.in_(codes))).all())
    products = dict(db.session.execute(select(Product.code, Product.id).where(
        Product.organization_id == org_id, Product.code.in_(items))).all())
    problems, writable = {}, []
    for values in values_list:
        if values["customer_code"] not in customers:
            problems[id(values)] = (f"Customer {values['customer_code']} has not been synced: "
                                    "run Sync Master Data first, then Sync Transaction again.")
            continue
        values["customer_id"] = customers[values["customer_code"]]
        writable.append(values)
    _upsert(ServiceSalesOrder, "reference", integration, writable,
            keys=("integration_id", "reference"), integration_id=integration.id)
    # The orders' lines as the page gives them (a reference given twice: its last lines).
    lines_of = {values["reference"]: values["_lines"] for values in writable}
    orders = dict(db.session.execute(
        select(ServiceSalesOrder.reference, ServiceSalesOrder.id)
        .where(ServiceSalesOrder.integration_id == integration.id,
               ServiceSalesOrder.reference.in_(list(lines_of)))).all())
    if orders:
        db.session.execute(delete(ServiceSalesOrderLine)
                           .where(ServiceSalesOrderLine.order_id.in_(list(orders.values()))))
    rows = [dict(line, order_id=orders[reference], product_id=products.get(line["item_code"]))
            for reference, lines in lines_of.items() for line in lines]
    if rows:
        db.session.execute(insert(ServiceSalesOrderLine), rows)
    return problems


APPLIERS = {
    "customer": (_customer, _simple_writer(Customer, "code", balance=0)),
    "item": (_item, _simple_writer(Product, "code")),
    "unit": (_unit, _write_units),
    "warehouse": (_warehouse, _simple_writer(Location, "code")),
    "tax": (_tax, _simple_writer(Tax, "reference")),
    "payment_term": (_payment_term, _simple_writer(PaymentTerm, "reference")),
    "employee": (_employee, _simple_writer(Employee, "reference")),
    "sales_order": (_sales_order, _write_sales_orders),
}


@job
def pull_service_job(integration_id: int, group: str) -> dict:
    """Sync Master Data / Sync Transaction as a background job (the runner's beat at
    every page commit)."""
    integration = db.session.get(Integration, integration_id)
    if integration is None:
        return {"status": "gone"}
    run = run_pull(integration, group, heartbeat=beat)
    return {"run_id": run.id, "succeeded": run.succeeded, "failed": run.failed,
            "message": run.message}


class NotConnected(MuaraError):
    """A pull asked of an integration whose service is not connected to a branch."""


class AlreadyRunning(MuaraError):
    """A pull asked while another of the same integration is queued or running."""


# --- queueing a pull (the service link screen) -------------------------------------------

def waiting_pulls(integration: Integration) -> list[str]:
    """The groups of this integration's pulls still queued or running.

    The task's arguments are [integration id, group] (request_pull): decoded and compared,
    never matched as text."""
    waiting = []
    for args in db.session.execute(select(BackgroundTask.args).where(
            BackgroundTask.function == job_path(pull_service_job),
            BackgroundTask.status.in_([TaskStatus.queued, TaskStatus.running]))).scalars():
        integration_id, group = json.loads(args)[:2]
        if integration_id == integration.id:
            waiting.append(GROUPS.get(group, ""))
    return waiting


def request_pull(integration: Integration, group: str) -> BackgroundTask:
    """Queue a pull of `group`; NotConnected or AlreadyRunning say why not."""
    if group not in GROUPS:
        raise MuaraError(f"unknown group: {group} (one of {', '.join(GROUPS)})")
    link = link_of(integration)
    if link is None or link.status != LinkStatus.connected:
        raise NotConnected("Connect the service and choose a branch before syncing.")
    if waiting_pulls(integration):
        # Two runs of one integration would read and write the same cursors.
        raise AlreadyRunning("A sync of this integration is already queued or running: "
                             "wait for it to end.")
    return queue().submit(pull_service_job, integration.id, group)


def recent_runs(integration: Integration, limit: int = 10) -> list[SyncRun]:
    """The integration's last pulls, newest first."""
    return db.session.execute(
        select(SyncRun).where(SyncRun.integration_id == integration.id,
                              SyncRun.trigger.in_(list(GROUPS)))
        .order_by(SyncRun.id.desc()).limit(limit)).scalars().all()


def recent_records(integration: Integration, limit: int = 100) -> list[SyncRecord]:
    """The sync records of the service's kinds, last attempted first."""
    service = connector(integration)
    kinds = [r.kind for r in service.MASTER_DATA + service.TRANSACTIONS]
    return db.session.execute(
        select(SyncRecord).where(SyncRecord.integration_id == integration.id,
                                 SyncRecord.kind.in_(kinds))
        .order_by(SyncRecord.last_attempt_at.desc(), SyncRecord.id.desc())
        .limit(limit)).scalars().all()
