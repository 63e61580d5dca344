"""Check only (dry run) and undo of an import (issue 19), through the CLI and the job.

Undo restores exactly: each tabular module is imported, updated by a second file, the
second is undone, and the whole table is compared with a snapshot taken before it.
"""
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    BalanceAdjustment,
    Customer,
    ImportBeforeImage,
    ImportFile,
    InvoiceCharge,
    OpenInvoice,
    Product,
    StockEntry,
)
from app.models.imports import ImportStatus
from tests.factories import (
    BOXES_HEADER,
    CREDIT_HEADER,
    INVOICE_HEADER,
    balances,
    count,
    counts,
    invoices,
    refused,
    run_import,
    xlsx,
)
from tests.undo_helpers import status, undo, undo_dies_at_second_batch

CUSTOMER_HEADER = ["Customer Code", "Customer Name", "Customer ID"]
PRODUCT_HEADER = ["Product Code", "Product Name", "Unit"]

# module -> (table model, header, first file's rows, second file's rows): the second
# updates some records of the first, leaves one unchanged and creates new ones.
CASES = {
    "customers": (Customer, CUSTOMER_HEADER,
                  [["C010", "Toko Satu", "S1"], ["C011", "Toko Dua", None],
                   ["C001", "C001 renamed", "X1"]],
                  [["C010", "Toko Satu Baru", "S1"], ["C011", "Toko Dua", None],
                   ["C012", "Toko Tiga", "S3"], ["C002", "C002 renamed", None]]),
    "products": (Product, PRODUCT_HEADER,
                 [["P010", "Teh", "btl"], ["P011", "Kopi", "pcs"]],
                 [["P010", "Teh botol", "krat"], ["P011", "Kopi", "pcs"],
                  ["P012", "Gula", "kg"], ["P001", "P001 new name", "btl"]]),
    "open_invoices": (OpenInvoice, INVOICE_HEADER,
                      [["INV-1", "C001", "2025-01-31", 100, "PO-1", "JKT"],
                       ["INV-2", "C002", "2025-02-01", 20.125, "PO-2", None]],
                      [["INV-1", "C002", "2025-01-30", 150.5, "PO-1b", "JKT"],
                       ["INV-2", "C002", "2025-02-01", 20.125, "PO-2", None],
                       ["INV-3", "C001", "2025-03-01", 7, "PO-3", None]]),
    "open_credits": (BalanceAdjustment, CREDIT_HEADER,
                     [["C001", "2025-01-05", "CR-1", 10], ["C002", "2025-01-06", "CR-2", 5]],
                     [["C001", "2025-01-07", "CR-1", 12.5], ["C002", "2025-01-06", "CR-2", 5],
                      ["C002", "2025-01-09", "CR-3", 1]]),
    "inventory_boxes": (StockEntry, BOXES_HEADER,
                        [["P001", "JKT", 2, 12, "2025-01-31"],
                         ["P002", "JKT", 1, 6, "2025-01-31"]],
                        [["P001", "JKT", 3, 12, "2025-01-31"],
                         ["P002", "JKT", 1, 6, "2025-01-31"],
                         ["P001", "JKT", 1, 24, "2025-02-01"]]),
}


def snapshot(app, model):
    """Every row of the table (every column), in id order."""
    with app.app_context():
        table = model.__table__
        return [tuple(row) for row in db.session.execute(
            select(table).order_by(table.c.id)).all()]


def charges(app):
    with app.app_context():
        return sorted(db.session.execute(
            select(InvoiceCharge.invoice_id, InvoiceCharge.kind, InvoiceCharge.amount)).all())


# --- undo restores exactly ------------------------------------------------------------------

@pytest.mark.parametrize("module", list(CASES))
def test_undo_of_an_update_restores_the_whole_table(app, runner, d1, tmp_path, module):
    model, header, first, second = CASES[module]
    _, one = run_import(runner, xlsx(tmp_path / "one.xlsx", [header, *first]), module)
    assert one["status"] == "archived"
    before, before_balances, before_charges = (snapshot(app, model), balances(app),
                                               charges(app))
    _, two = run_import(runner, xlsx(tmp_path / "two.xlsx", [header, *second]), module)
    assert two["status"] == "archived"
    assert snapshot(app, model) != before

    out = undo(runner, two["import_id"])

    assert out == {"import_id": two["import_id"], "status": "undone", "removed": out["removed"],
                   "restored": len(second) - out["removed"], "kept": [], "kept_count": 0}
    assert out["removed"] >= 1
    assert snapshot(app, model) == before
    assert balances(app) == before_balances
    assert charges(app) == before_charges
    assert status(app, two["import_id"]) == ImportStatus.undone
    assert count(app, ImportBeforeImage, import_id=two["import_id"]) == 0


def test_undo_of_a_first_import_removes_what_it_created(app, runner, d1, tmp_path):
    before = counts(app)
    _, out = run_import(runner, xlsx(tmp_path / "inv.xlsx", [INVOICE_HEADER,
                                                            *CASES["open_invoices"][2]]))
    assert balances(app)["C001"] == 100
    result = undo(runner, out["import_id"])
    assert (result["removed"], result["restored"], result["kept"]) == (2, 0, [])
    after = counts(app)
    assert {k: after[k] for k in ("invoices", "charges")} == {"invoices": 0, "charges": 0}
    assert after["imports"] == before["imports"] + 1  # the file and its history stay
    assert balances(app) == {"C001": 0, "C002": 0}


def test_a_record_a_later_file_changed_is_kept_and_named(app, runner, d1, tmp_path):
    rows = CASES["open_invoices"][2]
    _, one = run_import(runner, xlsx(tmp_path / "one.xlsx", [INVOICE_HEADER, *rows]))
    _, two = run_import(runner, xlsx(tmp_path / "later.xlsx", [
        INVOICE_HEADER, ["INV-2", "C001", "2025-02-02", 99, "PO-9", None]]))
    result = undo(runner, one["import_id"])
    assert result["removed"] == 1 and result["restored"] == 0
    assert result["kept"] == [{"table": "open invoices", "record": "INV-2",
                               "reason": "changed by a later file",
                               "later_import_id": two["import_id"],
                               "later_file": "later.xlsx"}]
    assert list(invoices(app)) == ["INV-2"]
    assert invoices(app)["INV-2"][2] == 99


def test_a_created_customer_still_used_is_kept(app, runner, d1, tmp_path):
    _, one = run_import(runner, xlsx(tmp_path / "c.xlsx", [CUSTOMER_HEADER,
                                                          ["C050", "Baru", None]]), "customers")
    run_import(runner, xlsx(tmp_path / "i.xlsx", [INVOICE_HEADER,
                                                 ["INV-9", "C050", "2025-01-01", 5, "PO-9", None]]))
    result = undo(runner, one["import_id"])
    assert result["removed"] == 0
    assert result["kept"] == [{"table": "customers", "record": "C050",
                               "reason": "still used by open invoice"}]
    assert count(app, Customer, code="C050") == 1


def test_undo_refusals(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "inv.xlsx", [INVOICE_HEADER, *CASES["open_invoices"][2]])
    _, out = run_import(runner, path)
    undo(runner, out["import_id"])
    refused(undo(runner, out["import_id"], ok=False),
            f"Import #{out['import_id']} is already undone. To import it again, re-process "
            "the file.")
    refused(undo(runner, 999999, ok=False), "unknown import: 999999")
    _, other = run_import(runner, path, "open_invoices", "D1", "--force")
    with app.app_context():
        db.session.execute(update(ImportFile).where(ImportFile.id == other["import_id"])
                           .values(uploaded_at=dt.datetime(2020, 1, 1)))
        db.session.commit()
    refused(undo(runner, other["import_id"], ok=False),
            f"Import #{other['import_id']} is older than the retention period (30 days): it "
            "can no longer be undone.")
    with app.app_context():
        db.session.execute(update(ImportFile).where(ImportFile.id == other["import_id"])
                           .values(status=ImportStatus.processing,
                                   uploaded_at=dt.datetime.now()))
        db.session.commit()
    refused(undo(runner, other["import_id"], ok=False),
            f"Import #{other['import_id']} is still processing: wait until it ends.")


def test_undo_of_an_undo_is_a_re_process(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "inv.xlsx", [INVOICE_HEADER, *CASES["open_invoices"][2]])
    _, out = run_import(runner, path)
    full = invoices(app)
    undo(runner, out["import_id"])
    assert invoices(app) == {}
    with app.app_context():
        from app.services.imports import reprocess
        reprocess(db.session.get(ImportFile, out["import_id"]))
    from tests.factories import drain
    drain(app)
    assert invoices(app) == full
    assert undo(runner, out["import_id"])["removed"] == 2


def test_an_interrupted_undo_completes_when_run_again(app, runner, d1, tmp_path, monkeypatch):
    rows = [[f"INV-{n}", "C001", "2025-01-31", n, "PO", None] for n in range(1, 8)]
    path = xlsx(tmp_path / "inv.xlsx", [INVOICE_HEADER, *rows])
    _, one = run_import(runner, path)
    before = snapshot(app, OpenInvoice)
    changed = [[f"INV-{n}", "C002", "2025-02-28", n * 10, "PO", None] for n in range(1, 8)]
    _, two = run_import(runner, xlsx(tmp_path / "two.xlsx", [INVOICE_HEADER, *changed]))
    left, images, out = undo_dies_at_second_batch(app, monkeypatch, two["import_id"])
    assert (left, images) == (ImportStatus.undoing, 4)
    assert (out["status"], out["restored"], out["removed"]) == ("undone", 7, 0)
    assert snapshot(app, OpenInvoice) == before


# --- check only ----------------------------------------------------------------------------

def test_check_only_writes_nothing_and_says_what_an_import_would_do(app, runner, d1,
                                                                    tmp_path):
    model, header, first, second = CASES["open_invoices"]
    run_import(runner, xlsx(tmp_path / "one.xlsx", [header, *first]))
    before, before_counts = snapshot(app, model), counts(app)
    rows = [*second, ["INV-4", "C404", "2025-03-01", 1, "PO-4", None]]
    _, out = run_import(runner, xlsx(tmp_path / "two.xlsx", [header, *rows]), "open_invoices",
                        "D1", "--dry-run")
    assert out["status"] == "checked" and out["dry_run"] is True
    assert (out["rows"], out["would_create"], out["would_update"], out["unchanged"],
            out["rejected"]) == (4, 1, 1, 1, 1)
    assert [(r["row"], r["reason"]) for r in out["rejections"]] == [(5, "unknown_customer")]
    assert snapshot(app, model) == before
    after = counts(app)
    assert after == dict(before_counts, imports=before_counts["imports"] + 1,
                         rejections=before_counts["rejections"] + 1)
    assert count(app, ImportBeforeImage, import_id=out["import_id"]) == 0


def test_import_now_imports_the_checked_bytes(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "inv.xlsx", [INVOICE_HEADER, *CASES["open_invoices"][2]])
    _, checked = run_import(runner, path, "open_invoices", "D1", "--dry-run")
    assert invoices(app) == {}
    # The same file again is not a duplicate of a file only checked.
    _, again = run_import(runner, path, "open_invoices", "D1", "--dry-run")
    with app.app_context():
        from app.services.imports import import_now
        import_now(db.session.get(ImportFile, checked["import_id"]))
    from tests.factories import drain
    drain(app)
    assert sorted(invoices(app)) == ["INV-1", "INV-2"]
    with app.app_context():
        imp = db.session.get(ImportFile, checked["import_id"])
        assert (imp.status, imp.accepted, imp.forced, imp.dry_run) == (
            ImportStatus.archived, 2, False, False)
    assert again["import_id"] != checked["import_id"]


def _no_po(path):
    header = [h for h in INVOICE_HEADER if h != "Customer PO"]
    xlsx(path, [header, ["INV-1", "C001", "2025-01-31", 100, "JKT"]])


UNREADABLE = {  # name -> (file name, how it is written)
    "not_a_spreadsheet": ("bad.xlsx", lambda path: path.write_bytes(
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")),
    "empty_file": ("blank.csv", lambda path: path.write_bytes(b" \r\n\r\n")),
    "missing_column": ("no_po.xlsx", _no_po),
    "corrupt_file": ("panic.xls", lambda path: path.write_bytes(
        (Path(__file__).parent / "data" / "hostile" / "reader_panic.xls").read_bytes())),
}


def _failure(app, import_id):
    with app.app_context():
        imp = db.session.get(ImportFile, import_id)
        return (imp.status, imp.error_code, imp.error_message, imp.rows_done, imp.accepted,
                imp.rejected, count(app, ImportBeforeImage, import_id=import_id))


@pytest.mark.parametrize("fault", list(UNREADABLE))
def test_check_only_of_an_unreadable_file_fails_exactly_like_an_import(app, runner, d1,
                                                                       tmp_path, fault):
    """The same exit, the same JSON (but its import id and dry_run) and the same state
    and reason on the file as an import of the same bytes."""
    name, write = UNREADABLE[fault]
    write(tmp_path / name)
    checked, check_out = run_import(runner, str(tmp_path / name), "open_invoices", "D1",
                                    "--dry-run", ok=False)
    imported, import_out = run_import(runner, str(tmp_path / name), ok=False)
    assert check_out["status"] == "failed" and check_out["dry_run"] is True
    assert check_out["error"]["reason"] == fault
    assert checked.exit_code == imported.exit_code
    same = {k: v for k, v in check_out.items() if k not in ("import_id", "dry_run")}
    assert same == {k: v for k, v in import_out.items() if k not in ("import_id", "dry_run")}
    assert _failure(app, check_out["import_id"]) == _failure(app, import_out["import_id"])
    assert invoices(app) == {}
