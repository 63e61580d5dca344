"""Undo of a template set's workbook (issues 19.2 and 19.5): one upload imported its
sheets as one import, so one undo undoes them all, last imported first (its invoices
before the customers they use), and the tables come back exactly as they were; refused
as a file is; cut short, it completes when asked again; undo of an undo is a re-process.
"""
import json
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, ImportBeforeImage, ImportFile, OpenInvoice, Product
from app.models.imports import ImportStatus
from tests.conftest import login
from tests.factories import (
    balances,
    count,
    drain,
    html,
    invoices,
    make_distributor,
    muara,
    refused,
    run_import,
    xlsx,
)
from tests.set_helpers import INVOICE_HEADER, make_set, workbook
from tests.undo_helpers import undo, undo_dies_at_second_batch

CUSTOMER_HEADER = ["Customer Code", "Customer Name", "Customer ID"]
# Before the workbook: INV-1 of C001 (imported by a file of its own).
FIRST = [INVOICE_HEADER, ["INV-1", "C001", "2025-01-31", 100, "PO-1", "JKT"]]
# The workbook updates INV-1 and C001, creates INV-5 of the new customer C900 and P900.
BOOK = [
    ("Invoices", [INVOICE_HEADER, ["INV-1", "C900", "2025-01-30", 150, "PO-1b", "JKT"],
                  ["INV-5", "C900", "2025-02-01", 7.5, "PO-5", None],
                  ["INV-6", "NOPE", "2025-02-01", 1, "PO-6", None]]),
    ("Customers", [CUSTOMER_HEADER, ["C900", "Toko Baru", None],
                   ["C001", "C001 renamed", "X1"]]),
    ("Products", [["Product Code", "Product Name", "Unit"], ["P900", "Teh", "btl"]]),
]


def tables(app):
    """Every row of the tables the workbook writes (every column, id order), and the
    balances."""
    with app.app_context():
        whole = {model.__tablename__: [tuple(row) for row in db.session.execute(
            select(model.__table__).order_by(model.__table__.c.id)).all()]
            for model in (Customer, Product, OpenInvoice)}
    return whole, balances(app)


def import_book(app, runner, tmp_path, sheets=BOOK):
    path = tmp_path / "month.xlsx"
    path.write_bytes(workbook(sheets))
    result = muara(runner, "import", str(path), "--template-set", "Monthly", "--org", "D1",
                   "--wait")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def statuses(app, parent_id):
    with app.app_context():
        return [(sheet.sheet, sheet.status) for sheet in db.session.execute(
            select(ImportFile).where(ImportFile.parent_id == parent_id)
            .order_by(ImportFile.id)).scalars()]


def test_undo_of_a_workbook_restores_every_table_it_wrote(app, runner, d1, tmp_path):
    make_set(app)
    run_import(runner, xlsx(tmp_path / "first.xlsx", FIRST))
    before = tables(app)
    book = import_book(app, runner, tmp_path)
    assert (book["status"], book["accepted"], book["rejected"]) == ("needs_attention", 5, 1)
    assert tables(app) != before

    out = undo(runner, book["import_id"])

    ids = {sheet["sheet"]: sheet["import_id"] for sheet in book["sheets"]}
    # invoices first: C900 is no longer used when its sheet is undone, so it is removed
    assert out == {"import_id": book["import_id"], "status": "undone", "removed": 3,
                   "restored": 2, "kept": [], "kept_count": 0, "sheets": [
                       {"sheet": "Invoices", "module": "open_invoices",
                        "import_id": ids["Invoices"], "removed": 1, "restored": 1,
                        "kept_count": 0},
                       {"sheet": "Products", "module": "products",
                        "import_id": ids["Products"], "removed": 1, "restored": 0,
                        "kept_count": 0},
                       {"sheet": "Customers", "module": "customers",
                        "import_id": ids["Customers"], "removed": 1, "restored": 1,
                        "kept_count": 0}]}
    assert tables(app) == before
    assert statuses(app, book["import_id"]) == [("Customers", ImportStatus.undone),
                                                ("Products", ImportStatus.undone),
                                                ("Invoices", ImportStatus.undone)]
    assert count(app, ImportBeforeImage) == 1  # the first file's own image stays
    result = muara(runner, "undo", str(book["import_id"]), "--wait")
    refused(result, f"Import #{book['import_id']} is already undone. To import it again, "
                    "re-process the file.")


def test_a_record_a_later_file_changed_is_kept_and_named_with_its_sheet(app, runner, d1,
                                                                        tmp_path):
    make_set(app)
    book = import_book(app, runner, tmp_path)
    _, later = run_import(runner, xlsx(tmp_path / "later.xlsx", [
        INVOICE_HEADER, ["INV-5", "C002", "2025-02-02", 9, "PO-9", None]]))
    out = undo(runner, book["import_id"])
    assert out["kept"] == [{"table": "open invoices", "record": "INV-5",
                            "reason": "changed by a later file",
                            "later_import_id": later["import_id"],
                            "later_file": "later.xlsx", "sheet": "Invoices"}]
    assert list(invoices(app)) == ["INV-5"] and invoices(app)["INV-5"][2] == 9
    assert "C900" not in balances(app)  # the later file moved INV-5 to C002


def test_an_interrupted_undo_of_a_workbook_completes_when_run_again(app, runner, d1,
                                                                   tmp_path, monkeypatch):
    make_set(app)
    run_import(runner, xlsx(tmp_path / "first.xlsx", FIRST))
    before = tables(app)
    customers = [CUSTOMER_HEADER, *([f"C9{n:02d}", f"Toko {n}", None] for n in range(7))]
    book = import_book(app, runner, tmp_path, [BOOK[0], ("Customers", customers), BOOK[2]])
    left, _, out = undo_dies_at_second_batch(app, monkeypatch, book["import_id"])
    assert left == ImportStatus.undoing
    assert (out["status"], out["removed"], out["restored"]) == ("undone", 9, 1)
    assert tables(app) == before


def test_undo_of_an_undone_workbook_is_a_re_process(app, runner, d1, tmp_path):
    make_set(app)
    book = import_book(app, runner, tmp_path)
    imported = tables(app)
    undo(runner, book["import_id"])
    with app.app_context():
        from app.services.template_sets import reprocess_set
        reprocess_set(db.session.get(ImportFile, book["import_id"]))
    drain(app)
    assert tables(app)[1] == imported[1]  # the balances; the records have new ids
    with app.app_context():
        parent = db.session.get(ImportFile, book["import_id"])
        assert (parent.status, parent.undo_json, parent.accepted) == (
            ImportStatus.needs_attention, None, 5)
    assert undo(runner, book["import_id"])["removed"] == 4


def test_the_confirmation_page_counts_each_sheet(app, client, runner, world, tmp_path):
    org_id = make_distributor(app)
    world.user("sup", "Supervisor", "D1")
    make_set(app)
    book = import_book(app, runner, tmp_path)
    login(client, "sup")
    shown = html(client.get(f"/imports/show/{book['import_id']}"))
    assert 'id="undo-button"' in shown
    page = html(client.get(f"/imports/undo/{book['import_id']}"))
    counts = page[page.index('id="undo-counts"'):page.index("</table>")]
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", counts)]
    assert rows == [[], ["Invoices", "Open invoices", "2", "0", "0"],
                    ["Products", "Products", "1", "0", "0"],
                    ["Customers", "Customers", "1", "1", "0"]]  # [] the heading
    assert client.post(f"/imports/undo/{book['import_id']}").status_code == 302
    drain(app)
    shown = html(client.get(f"/imports/show/{book['import_id']}"))
    assert "4 removed, 1 given back their earlier values, 0 kept." in shown
    assert org_id
