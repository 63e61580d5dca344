"""Customers' balances: each customer's open invoices less its open credits.

An import moves a balance by what it wrote less what was there: each batch reads the
amounts of its records that already exist, writes, and adds every customer's difference
to its balance, in the batch's transaction. The cost follows the batch, not the
organization (recounting every invoice of the organization after each file took seconds
at ten million invoices, and held every customer of the distributor locked meanwhile),
and a batch that is rolled back takes its difference with it.

On PostgreSQL two workers may write the same organization's records at once (two files
with the same invoice numbers). The batch's existing records are read FOR UPDATE (a
second writer of them waits for this batch to commit), and after the write the batch
counts the records it updated: more than it found means a record was created by another
worker in between, whose amount this batch did not read; the batch then asks to be
retried as a serialization failure (rolled back whole, written again: the record now
exists and is read). Batches of one organization otherwise write in parallel. The
customers are locked in id order (no deadlock with other writers of customers), FOR NO
KEY UPDATE as the UPDATE of a balance itself would: a lock that another batch's new
invoices naming the customer (their foreign key's KEY SHARE lock) do not wait for, and
do not make this batch wait for either (with FOR UPDATE two workers ran at 0.80x of
one: bench/bench_workers.py). The whole recount stays for what rewrites many records at
once without a batch (an undo, the demo seeding).
"""
from collections import defaultdict
from decimal import Decimal
from operator import itemgetter
from typing import Callable

from sqlalchemy import func, select, union_all, update
from sqlalchemy.orm import Session

from app.importing import pg_copy
from app.importing.before_images import Imaged, key_getter, sqlite_batch_filter
from app.models import BalanceAdjustment, Customer, OpenInvoice

# Module -> (its table, the amount column, the sign of the amount in a balance).
PARTS = {
    "open_invoices": (OpenInvoice.__table__, "balance", 1),
    "open_credits": (BalanceAdjustment.__table__, "amount", -1),
}
AFFECTS_BALANCES = frozenset(PARTS)


def keeping_balances(write: Callable, module_name: str, spec: Imaged,
                     org_id: int) -> Callable:
    """`write` (a batch writer of open invoices or credits) that also moves the balances
    of the customers whose records it wrote by the difference."""
    table, amount, sign = PARTS[module_name]

    def write_keeping_balances(session, origin, records, layout):
        if not records:
            return write(session, origin, records, layout)
        key_of = key_getter(spec, layout)
        before = _amounts(session, table, spec.keys, amount, org_id,
                          [key_of(record) for record in records])
        write(session, origin, records, layout)
        _none_created_meanwhile(session, table, len(before))
        customer, value = itemgetter(layout["customer_id"]), itemgetter(layout[amount])
        moved = defaultdict(Decimal)
        for record in records:
            moved[customer(record)] += sign * Decimal(value(record))
        for customer_id, old in before:
            moved[customer_id] -= sign * old
        add_to_balances(session, {c: d for c, d in moved.items() if d})

    return write_keeping_balances


def _none_created_meanwhile(session, table, found: int) -> None:
    """PostgreSQL: the batch updated only the records it found (and locked) before it
    wrote; else one was created by another writer since, and the batch is retried."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return  # SQLite: one writer at a time
    if pg_copy.updated_count(connection, table.name) > found:
        connection.exec_driver_sql(
            "DO $$ BEGIN RAISE EXCEPTION 'a record of this batch was created by another "
            "import meanwhile' USING ERRCODE = 'serialization_failure'; END $$")


def _amounts(session, table, key_columns, amount, org_id, keys) -> list:
    """(customer id, amount) of the organization's records with these natural keys, in
    one statement (the keys as one JSON array on SQLite; as arrays on PostgreSQL, each
    record locked until the batch commits)."""
    if not keys:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        columns = [list(column) for column in zip(*keys, strict=True)]
        rows = connection.exec_driver_sql(
            f'SELECT record.customer_id, record."{amount}" FROM '
            + pg_copy.keys_found(connection, table, key_columns, lock=True),
            (org_id, *columns))
    else:
        batch, keys_json = sqlite_batch_filter(key_columns, keys)
        rows = connection.exec_driver_sql(
            f'SELECT customer_id, "{amount}" FROM "{table.name}" '
            f"WHERE organization_id = ? AND {batch}", (org_id, keys_json))
    return [(customer_id, Decimal(str(value or 0))) for customer_id, value in rows]


def add_to_balances(session: Session, differences: dict) -> None:
    """customer id -> amount added to its balance, in id order."""
    if not differences:
        return
    ids = sorted(differences)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "SELECT id FROM customer WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
            (ids,))
        connection.exec_driver_sql(
            "UPDATE customer SET balance = customer.balance + moved.amount "
            "FROM unnest(%s::integer[], %s::numeric[]) AS moved(id, amount) "
            "WHERE customer.id = moved.id", (ids, [differences[i] for i in ids]))
        return
    # SQLite keeps numbers as floats (as every writer stores them there).
    connection.exec_driver_sql("UPDATE customer SET balance = balance + ? WHERE id = ?",
                               [(float(differences[i]), i) for i in ids])


def recount_customer_balances(session: Session, org_id: int) -> None:
    """Every customer's balance of the organization counted again from all its invoices
    and credits (an undo, the demo seeding): one grouped pass, not a sub-select per
    customer."""
    amounts = union_all(
        select(OpenInvoice.customer_id, OpenInvoice.balance.label("amount"))
        .where(OpenInvoice.organization_id == org_id),
        select(BalanceAdjustment.customer_id, (-BalanceAdjustment.amount).label("amount"))
        .where(BalanceAdjustment.organization_id == org_id)).subquery()
    totals = (select(amounts.c.customer_id, func.sum(amounts.c.amount).label("total"))
              .group_by(amounts.c.customer_id).subquery())
    # Customers with neither invoices nor credits are not in `totals`: zero first.
    session.execute(update(Customer).where(Customer.organization_id == org_id,
                                           Customer.balance != 0).values(balance=0))
    session.execute(update(Customer).where(Customer.id == totals.c.customer_id)
                    .values(balance=totals.c.total))
