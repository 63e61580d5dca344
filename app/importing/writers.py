"""Batch writers: one upsert per batch on each module's natural key, so re-importing a
file updates records instead of duplicating them (IMP-6). Core SQL, never one ORM
object per row."""
import datetime as dt
import functools

from sqlalchemy import Date, DateTime, Numeric, func, select, update

from app.models import BalanceAdjustment, Customer, OpenInvoice, Product, StockEntry


def upsert(session, table, rows, keys, updates, only_if=None):
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET updates, for SQLite and PostgreSQL;
    `only_if`: an SQL condition the existing row must meet to be updated.

    The statement is rendered once and the rows go to the driver's executemany as plain
    tuples: building SQLAlchemy parameters per row cost more than the database's work.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    sql = _upsert_sql(dialect.name, dialect.paramstyle, table.name, tuple(columns),
                      tuple(keys), tuple(updates), only_if)
    if dialect.name == "sqlite":
        adapters = [_sqlite_adapter(table.c[c].type) for c in columns]
        if any(adapters):
            values = [tuple(v if a is None or v is None else a(v)
                            for a, v in zip(adapters, map(row.__getitem__, columns)))
                      for row in rows]
        else:
            values = [tuple(map(row.__getitem__, columns)) for row in rows]
    else:
        values = [tuple(map(row.__getitem__, columns)) for row in rows]
    connection.exec_driver_sql(sql, values)


@functools.lru_cache(maxsize=64)
def _upsert_sql(dialect_name, paramstyle, table, columns, keys, updates, only_if=None):
    marker = "?" if paramstyle == "qmark" else "%s"
    quoted = ", ".join(f'"{c}"' for c in columns)
    assignments = ", ".join(f'"{c}" = excluded."{c}"' for c in updates)
    return (f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join([marker] * len(columns))}) '
            f'ON CONFLICT ({", ".join(chr(34) + k + chr(34) for k in keys)}) '
            f"DO UPDATE SET {assignments}" + (f" WHERE {only_if}" if only_if else ""))


def _sqlite_adapter(column_type):
    """How SQLAlchemy's SQLite types store a value: numbers as floats, dates as ISO text."""
    if isinstance(column_type, Numeric):
        return float
    if isinstance(column_type, (Date, DateTime)):
        return lambda value: value.isoformat(sep=" ") if isinstance(value, dt.datetime) \
            else value.isoformat()
    return None


def write_customers(session, org_id, import_id, records):
    rows = [{"organization_id": org_id, "code": r["code"], "name": r["name"],
             "source_id": r.get("source_id"), "balance": 0} for r in records]
    upsert(session, Customer.__table__, rows, ("organization_id", "code"), ("name", "source_id"))


def write_products(session, org_id, import_id, records):
    rows = [{"organization_id": org_id, "code": r["code"], "name": r["name"],
             "unit": r["unit"]} for r in records]
    upsert(session, Product.__table__, rows, ("organization_id", "code"), ("name", "unit"))


def write_open_invoices(session, org_id, import_id, records):
    rows = [{"organization_id": org_id, "reference": r["reference"],
             "customer_id": r["customer_id"], "invoice_date": r["invoice_date"],
             "balance": r["balance"], "customer_po": r["customer_po"],
             "location_id": r.get("location_id"), "carrier": "No Carrier",
             "import_id": import_id} for r in records]
    upsert(session, OpenInvoice.__table__, rows, ("organization_id", "reference"),
           ("customer_id", "invoice_date", "balance", "customer_po", "location_id", "carrier",
            "import_id"))
    # The invoice's total is kept as its Additional Charge line (seed 002); the invoice
    # is found by its natural key inside the statement, without a round trip.
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        "INSERT INTO invoice_charge (invoice_id, kind, amount) VALUES ("
        f"(SELECT id FROM open_invoice WHERE organization_id = {marker} AND reference = {marker}), "
        f"'Additional Charge', {marker}) "
        "ON CONFLICT (invoice_id, kind) DO UPDATE SET amount = excluded.amount",
        [(org_id, r["reference"], float(r["balance"]) if sqlite else r["balance"])
         for r in records])


def write_open_credits(session, org_id, import_id, records):
    rows = [{"organization_id": org_id, "customer_id": r["customer_id"],
             "credit_date": r["credit_date"], "reference": r["reference"],
             "amount": r["amount"], "import_id": import_id} for r in records]
    upsert(session, BalanceAdjustment.__table__, rows,
           ("organization_id", "customer_id", "reference"), ("credit_date", "amount", "import_id"))


def write_inventory_boxes(session, org_id, import_id, records):
    rows = [{"organization_id": org_id, "product_id": r["product_id"],
             "location_id": r["location_id"], "entry_date": r["entry_date"],
             "boxes": r["boxes"], "units_per_box": r["units_per_box"],
             "quantity": r["boxes"] * r["units_per_box"], "import_id": import_id}
            for r in records]
    upsert(session, StockEntry.__table__, rows,
           ("organization_id", "product_id", "location_id", "entry_date"),
           ("boxes", "units_per_box", "quantity", "import_id"))


def refresh_customer_balances(session, org_id):
    """Every customer's balance of the organization: its open invoices less its credits.

    Once per job, for the whole organization: an invoice that moved to another customer
    changes the old one too, and a per-batch look-up of previous owners made PostgreSQL
    re-scan the organization's invoices at every batch."""
    invoices = (select(func.coalesce(func.sum(OpenInvoice.balance), 0))
                .where(OpenInvoice.customer_id == Customer.id).scalar_subquery())
    credits = (select(func.coalesce(func.sum(BalanceAdjustment.amount), 0))
               .where(BalanceAdjustment.customer_id == Customer.id).scalar_subquery())
    session.execute(update(Customer).where(Customer.organization_id == org_id)
                    .values(balance=invoices - credits))


WRITERS = {
    "customers": write_customers,
    "products": write_products,
    "open_invoices": write_open_invoices,
    "open_credits": write_open_credits,
    "inventory_boxes": write_inventory_boxes,
}
# Modules whose records change customers' balances.
AFFECTS_BALANCES = {"open_invoices", "open_credits"}
