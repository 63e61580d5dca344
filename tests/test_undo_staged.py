"""Check only and undo of the staged (Smart-Portal) modules (issue 19.1, 19.2): a check
groups and validates the documents as an import does, resolves each document against the
consolidated tables and leaves nothing behind; undoing a consolidated file undoes its
consolidation (documents with their lines, restored exactly), and a document a later file
changed is kept and named. Undoing a customer returns file puts each return's whole tree
back; a check of customer returns is rolled back return by return.
"""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    ImportBeforeImage,
    ImportFile,
    PurchaseInvoice,
    PurchaseInvoiceLine,
    SalesInvoice,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderLine,
    StagedRow,
)
from app.models.consolidated import DailyVisit
from app.models.imports import ImportStatus
from tests.consolidation_helpers import (
    ORDER_HEADER,
    PURCHASE_HEADER,
    VISIT_HEADER,
    import_file,
    portal,
    sync_all,
    xlsx,
)
from tests.factories import count, muara, refused
from tests.undo_helpers import status, undo, undo_dies_at_second_batch

SALES_INVOICE_HEADER = ["Invoice Number", "Invoice Date", "Customer Code", "Product Code",
                        "Quantity", "Unit Price", "Location Code"]

# module -> (tables, header, first file, second file): the second changes a document of the
# first (its date, customer and lines), leaves one as it was and creates a new one.
CASES = {
    "sales_orders": ((SalesOrder, SalesOrderLine), ORDER_HEADER,
                     [["SO-1", "2025-02-01", "C001", "P001", 2, 1500, None],
                      ["SO-1", None, None, "P002", 1, 250.5, None],
                      ["SO-2", "2025-02-02", "C002", "P001", 10, 100, None]],
                     [["SO-1", "2025-02-03", "C002", "P002", 5, 99.125, None],
                      ["SO-2", "2025-02-02", "C002", "P001", 10, 100, None],
                      ["SO-3", "2025-02-04", "C001", "P001", 1, 1, None],
                      ["SO-3", None, None, "P002", 2, 2, None]]),
    "sales_invoices": ((SalesInvoice, SalesInvoiceLine), SALES_INVOICE_HEADER,
                       [["SI-1", "2025-02-01", "C001", "P001", 3, 100, None],
                        ["SI-1", None, None, "P002", 1, 50, None],
                        ["SI-2", "2025-02-01", "C002", "P002", 1, 7, None]],
                       [["SI-1", "2025-02-01", "C001", "P001", 4, 100, None],
                        ["SI-2", "2025-02-01", "C002", "P002", 1, 7, None],
                        ["SI-3", "2025-02-05", "C002", "P001", 1, 3, None]]),
    "purchase_invoices": ((PurchaseInvoice, PurchaseInvoiceLine), PURCHASE_HEADER,
                          [["PI-1", "2025-02-01", "P1", "P001", 24, 2800],
                           ["PI-1", None, None, "P002", 12, 1000.5],
                           ["PI-2", "2025-02-01", "P1", "P001", 1, 1]],
                          [["PI-1", "2025-02-09", "P1", "P002", 6, 1000.5],
                           ["PI-2", "2025-02-01", "P1", "P001", 1, 1],
                           ["PI-3", "2025-02-10", "P1", "P001", 2, 3]]),
    "daily_visits": ((DailyVisit,), VISIT_HEADER,
                     [["2025-02-01", "Budi", "C001", "09:15", "09:40", "took an order"],
                      ["2025-02-01", "Budi", "C002", "10:00", None, None]],
                     [["2025-02-01", "Budi", "C001", "09:15", "09:55", "came back"],
                      ["2025-02-01", "Budi", "C002", "10:00", None, None],
                      ["2025-02-02", "Ani", "C001", "08:00", "08:30", None]]),
}


@pytest.fixture
def world3(app):
    portal(app)


def snapshot(app, models):
    """Every row of the tables (every column, ids included), in id order."""
    with app.app_context():
        return [[tuple(row) for row in db.session.execute(
            select(model.__table__).order_by(model.__table__.c.id)).all()] for model in models]


def imported(runner, tmp_path, module, header, rows, name, *extra):
    return import_file(runner, xlsx(tmp_path / name, [header, *rows]), module, "D1", *extra)


# --- undo -------------------------------------------------------------------------------------

@pytest.mark.parametrize("module", list(CASES))
def test_undo_of_a_consolidated_update_restores_the_whole_tables(app, runner, world3, tmp_path,
                                                                 module):
    models, header, first, second = CASES[module]
    imported(runner, tmp_path, module, header, first, "one.xlsx")
    sync_all(runner, "P1")
    before = snapshot(app, models)
    two = imported(runner, tmp_path, module, header, second, "two.xlsx")
    sync_all(runner, "P1")
    assert status(app, two["import_id"]) == ImportStatus.archived
    assert snapshot(app, models) != before

    out = undo(runner, two["import_id"])

    # one new record removed, the changed one and the unchanged one given back
    assert (out["status"], out["removed"], out["restored"], out["kept"]) == (
        "undone", 1, 2, [])
    assert snapshot(app, models) == before
    assert status(app, two["import_id"]) == ImportStatus.undone
    assert count(app, ImportBeforeImage, import_id=two["import_id"]) == 0


def test_undo_of_a_first_consolidated_file_removes_its_documents_and_lines(
        app, runner, world3, tmp_path):
    models, header, first, _ = CASES["sales_orders"]
    one = imported(runner, tmp_path, "sales_orders", header, first, "one.xlsx")
    sync_all(runner, "P1")
    assert count(app, SalesOrderLine) == 3
    out = undo(runner, one["import_id"])
    assert (out["removed"], out["restored"], out["kept"]) == (2, 0, [])
    assert snapshot(app, models) == [[], []]
    # the file and its history stay; undo of the undo is a re-process
    with app.app_context():
        from app.services.imports import reprocess
        reprocess(db.session.get(ImportFile, one["import_id"]))
    from tests.factories import drain
    drain(app)
    sync_all(runner, "P1")
    assert (count(app, SalesOrder), count(app, SalesOrderLine)) == (2, 3)


def test_a_document_a_later_file_changed_is_kept_and_named(app, runner, world3, tmp_path):
    _, header, first, _ = CASES["sales_orders"]
    one = imported(runner, tmp_path, "sales_orders", header, first, "one.xlsx")
    sync_all(runner, "P1")
    later = imported(runner, tmp_path, "sales_orders", header,
                     [["SO-2", "2025-03-01", "C001", "P002", 1, 5, None]], "later.xlsx")
    sync_all(runner, "P1")
    out = undo(runner, one["import_id"])
    assert (out["removed"], out["restored"]) == (1, 0)
    assert out["kept"] == [{"table": "sales orders", "record": "SO-2",
                            "reason": "changed by a later file",
                            "later_import_id": later["import_id"], "later_file": "later.xlsx"}]
    with app.app_context():
        order = db.session.execute(select(SalesOrder)).scalar_one()
        assert (order.number, str(order.total), len(order.lines)) == ("SO-2", "5.000", 1)


def test_an_interrupted_undo_of_a_consolidation_completes_when_run_again(
        app, runner, world3, tmp_path, monkeypatch):
    header = ORDER_HEADER
    rows = [[f"SO-{n}", "2025-02-01", "C001", "P001", n, 10, None] for n in range(1, 8)]
    imported(runner, tmp_path, "sales_orders", header, rows, "one.xlsx")
    sync_all(runner, "P1")
    before = snapshot(app, (SalesOrder, SalesOrderLine))
    changed = [[f"SO-{n}", "2025-02-02", "C002", "P002", n, 20, None] for n in range(1, 8)]
    two = imported(runner, tmp_path, "sales_orders", header, changed, "two.xlsx")
    sync_all(runner, "P1")
    left, images, out = undo_dies_at_second_batch(app, monkeypatch, two["import_id"])
    assert (left, images) == (ImportStatus.undoing, 4)
    assert (out["status"], out["restored"], out["removed"]) == ("undone", 7, 0)
    assert snapshot(app, (SalesOrder, SalesOrderLine)) == before


def test_a_file_consolidated_without_images_is_refused(app, runner, world3, tmp_path):
    _, header, first, _ = CASES["sales_orders"]
    one = imported(runner, tmp_path, "sales_orders", header, first, "one.xlsx")
    sync_all(runner, "P1")
    with app.app_context():  # as a file consolidated before consolidation kept images
        db.session.execute(ImportBeforeImage.__table__.delete())
        db.session.commit()
    refused(muara(runner, "undo", str(one["import_id"]), "--wait"),
            f"Import #{one['import_id']} was consolidated before its consolidation kept what "
            "it changed: it cannot be undone.")
    assert count(app, SalesOrder) == 2


def test_a_file_waiting_for_consolidation_is_refused(app, runner, world3, tmp_path):
    _, header, first, _ = CASES["sales_orders"]
    one = imported(runner, tmp_path, "sales_orders", header, first, "one.xlsx")
    refused(muara(runner, "undo", str(one["import_id"]), "--wait"),
            f"Import #{one['import_id']} is waiting to be consolidated: nothing of it was "
            "written to the consolidated records yet, so there is nothing to undo.")


RETURN_TABLES = ("customer_return", "customer_return_detail", "customer_return_sub_detail",
                 "return_info_text", "return_text_assignment", "return_text_assignment_text")


def tables_snapshot(app, names):
    """Every row of each table (every column, ids included), in id order."""
    from flask_appbuilder import Model
    tables = Model.metadata.tables
    with app.app_context():
        return {name: [tuple(row) for row in db.session.execute(
            select(tables[name]).order_by(tables[name].c.id)).all()] for name in names}


def test_undo_of_a_customer_returns_update_restores_the_whole_tree(app, runner, returns_d1,
                                                                    tmp_path):
    from tests.returns_helpers import MINIMAL, detail, doc, import_returns, write
    rich = (MINIMAL + "<number>R1</number><date>2025-03-04</date>"
            "<InfoTexts><language>en</language><text>Note</text></InfoTexts>"
            "<TextAssignments><number>2</number><type>memo</type><text><language>de</language>"
            "<text>Hallo</text></text></TextAssignments>"
            + detail("<InfoTexts><language>en</language><text>Dented</text></InfoTexts>"
                     "<SubDetails><subNumber>1</subNumber><item><number>P001</number></item>"
                     "<totalQuantity><amount>0.5</amount><uom><code>btl</code></uom>"
                     "</totalQuantity></SubDetails>")
            + detail(amount="2"))
    one = import_returns(runner, write(tmp_path, doc(rich, MINIMAL + "<number>R2</number>"
                                                     + detail())))
    assert one["status"] == "archived"
    before = tables_snapshot(app, RETURN_TABLES)
    second = doc(MINIMAL + "<number>R1</number><date>2025-04-01</date>"
                 "<InfoTexts><language>en</language><text>Changed</text></InfoTexts>"
                 "<Details><number>10</number><totalQuantity><amount>3</amount>"
                 "</totalQuantity></Details>"
                 '<Details action="delete"><number>20</number></Details>'
                 + detail(item="P001", unit="btl", amount="1"),
                 MINIMAL + "<number>R3</number>" + detail())
    two = import_returns(runner, write(tmp_path, second, "two.xml"))
    assert two["status"] == "archived"
    assert tables_snapshot(app, RETURN_TABLES) != before

    out = undo(runner, two["import_id"])

    assert (out["status"], out["removed"], out["restored"], out["kept"]) == (
        "undone", 1, 1, [])
    assert tables_snapshot(app, RETURN_TABLES) == before
    # undoing the first file removes its two returns with their trees
    out = undo(runner, one["import_id"])
    assert (out["removed"], out["restored"]) == (2, 0)
    assert all(rows == [] for rows in tables_snapshot(app, RETURN_TABLES).values())


def test_check_only_of_customer_returns_writes_nothing_and_counts_returns(
        app, runner, returns_d1, tmp_path):
    from tests.returns_helpers import MINIMAL, detail, doc, import_returns, write
    import_returns(runner, write(tmp_path, doc(MINIMAL + "<number>R1</number>" + detail(),
                                               MINIMAL + "<number>R2</number>" + detail())))
    before = tables_snapshot(app, (*RETURN_TABLES, "return_type"))
    text = doc(MINIMAL + "<number>R1</number>" + detail(amount="7"),  # changed
               # the same again (detail 10 named: a detail without its number is a new one)
               MINIMAL + "<number>R2</number>" + detail("<number>10</number>"),
               MINIMAL + detail(),  # new, numbered from the range
               MINIMAL + "<number>R4</number>" + detail(item="NOPE"))  # an error
    out = import_returns(runner, write(tmp_path, text, "check.xml"), "D1", "--dry-run")
    assert (out["status"], out["dry_run"], out["rows"], out["accepted"], out["rejected"]) == (
        "checked", True, 4, 3, 1)
    assert (out["would_create"], out["would_update"], out["unchanged"]) == (1, 1, 1)
    assert [r["row"] for r in out["rejections"]] == [4]
    assert tables_snapshot(app, (*RETURN_TABLES, "return_type")) == before
    assert count(app, ImportBeforeImage, import_id=out["import_id"]) == 0


# --- check only --------------------------------------------------------------------------------

def test_check_only_of_a_staged_file_writes_nothing_and_counts_documents(
        app, runner, world3, tmp_path):
    models, header, first, second = CASES["sales_orders"]
    imported(runner, tmp_path, "sales_orders", header, first, "one.xlsx")
    sync_all(runner, "P1")
    before = snapshot(app, models)
    rows = [*second, ["SO-4", "2025-02-04", "C404", "P001", 1, 1, None]]
    out = imported(runner, tmp_path, "sales_orders", header, rows, "two.xlsx", "--dry-run")
    assert (out["status"], out["dry_run"]) == ("checked", True)
    assert (out["rows"], out["accepted"], out["rejected"]) == (5, 4, 1)
    assert (out["would_create"], out["would_update"], out["unchanged"]) == (1, 1, 1)
    assert [(r["row"], r["reason"]) for r in out["rejections"]] == [(6, "unknown_customer")]
    assert snapshot(app, models) == before
    assert count(app, StagedRow, import_id=out["import_id"]) == 0
    assert count(app, ImportBeforeImage, import_id=out["import_id"]) == 0
    # nothing waits for consolidation: Sync All finds no file
    assert sync_all(runner, "P1") == {"files": 0, "consolidated": 0, "failed": 0}
    # Import now: the same stored bytes are staged, then consolidated
    with app.app_context():
        from app.services.imports import import_now
        import_now(db.session.get(ImportFile, out["import_id"]))
    from tests.factories import drain
    drain(app)
    assert status(app, out["import_id"]) == ImportStatus.imported
    sync_all(runner, "P1")
    assert count(app, SalesOrder) == 3


@pytest.mark.parametrize("module", ["daily_visits", "purchase_invoices", "sales_invoices"])
def test_check_only_counts_what_consolidation_would_do(app, runner, world3, tmp_path, module):
    models, header, first, second = CASES[module]
    imported(runner, tmp_path, module, header, first, "one.xlsx")
    sync_all(runner, "P1")
    before = snapshot(app, models)
    out = imported(runner, tmp_path, module, header, second, "two.xlsx", "--dry-run")
    assert (out["status"], out["rejected"]) == ("checked", 0)
    assert (out["would_create"], out["would_update"], out["unchanged"]) == (1, 1, 1)
    assert snapshot(app, models) == before
