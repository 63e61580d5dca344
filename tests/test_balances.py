"""Customers' balances kept by the imports' batches (app/importing/balances.py): after any
mix of invoice and credit files (new invoices, changed amounts, invoices moved to another
customer, rejected rows, many batches) and undos, every balance equals its invoices less
its credits counted again from the tables."""
import random
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import BalanceAdjustment, Customer, OpenInvoice
from tests.factories import CREDIT_HEADER, balances, invoice_file, muara, run_import, xlsx

CUSTOMERS = ("C001", "C002", "C404")  # C404 is unknown: its rows are rejected


def counted(app):
    """code -> invoices less credits, summed from the tables."""
    with app.app_context():
        owed = dict(db.session.execute(
            select(Customer.code, func.coalesce(func.sum(OpenInvoice.balance), 0))
            .outerjoin(OpenInvoice, OpenInvoice.customer_id == Customer.id)
            .group_by(Customer.code)).all())
        for code, credit in db.session.execute(
                select(Customer.code, func.sum(BalanceAdjustment.amount))
                .join(BalanceAdjustment, BalanceAdjustment.customer_id == Customer.id)
                .group_by(Customer.code)).all():
            owed[code] -= credit
        db.session.remove()
    return {code: Decimal(value) for code, value in owed.items()}


def invoices(chance, count):
    return [[f"INV-{chance.randrange(count * 2)}-x", chance.choice(CUSTOMERS), "2025-01-31",
             Decimal(chance.randrange(1, 100_000)) / 1000, f"PO-{n}", "JKT"]
            for n in range(count)]


def unique(rows):
    """The first row of each invoice number (a file naming one twice rejects the second
    either way; the test keeps its files simple)."""
    seen, kept = set(), []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            kept.append(row)
    return kept


@pytest.mark.parametrize("seed", [1, 2])
def test_balances_follow_every_file_and_undo(app, runner, d1, tmp_path, seed, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_BATCH_SIZE", 7)  # many batches per file
    chance = random.Random(seed)
    imported = []
    for number in range(4):
        path = invoice_file(tmp_path, unique(invoices(chance, 30)), f"inv-{number}.xlsx")
        _, out = run_import(runner, path, "open_invoices", "D1", "--force")
        assert out["accepted"] > 0
        imported.append(out["import_id"])
        assert balances(app) == counted(app), f"after invoice file {number}"
    credits = [CREDIT_HEADER] + [[chance.choice(CUSTOMERS), "2025-02-01", f"CR-{n}",
                                  Decimal(chance.randrange(1, 5000)) / 1000]
                                 for n in range(12)]
    run_import(runner, xlsx(tmp_path / "credits.xlsx", credits), "open_credits")
    assert balances(app) == counted(app), "after the credits"
    # The last invoice file undone: its invoices removed or given back, balances too.
    undone = muara(runner, "undo", str(imported[-1]), "--wait")
    assert undone.exit_code == 0, undone.output
    assert balances(app) == counted(app), "after the undo"
    assert any(balances(app).values())
