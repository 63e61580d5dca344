"""Smart-Portal modules (seed 000, SO-1, SYN-1): files are validated into staging and
reach the consolidated tables only when consolidated (Sync All, the daily run); a
document is rejected whole with every line's reason; consolidation is idempotent."""
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.importing import consolidation as consolidation_module
from app.importing.consolidation import consolidate_file
from app.models import ImportFile, ImportRejection, Product
from app.services import directory
from tests.consolidation_helpers import (
    PURCHASE_HEADER,
    VISIT_HEADER,
    DailyVisit,
    PurchaseInvoice,
    SalesOrder,
    SalesOrderLine,
    file_state,
    import_file,
    muara,
    order_file,
    orders,
    portal,
    sync_all,
    xlsx,
)
from tests.factories import count, drain


@pytest.fixture
def world3(app):
    portal(app)


GOOD = [["SO-1", "2025-02-01", "C001", "P001", 2, 1500, None],
        ["SO-1", None, None, "P002", 1, 250.5, None],
        ["SO-2", "2025-02-02", "C002", "P001", 10, 100, None]]


def test_a_file_waits_in_staging_until_sync_all_consolidates_it(app, runner, world3, tmp_path):
    data = import_file(runner, order_file(tmp_path, GOOD))
    assert (data["status"], data["rows"], data["accepted"], data["rejected"]) == \
        ("imported", 3, 3, 0)
    assert count(app, SalesOrder) == 0, "imported data is not consolidated at once"
    assert file_state(app, data["import_id"]) == ("imported", 3, 0, 3)

    assert sync_all(runner, "P1") == {"files": 1, "consolidated": 1, "failed": 0}
    assert orders(app) == {
        "SO-1": ("2025-02-01", "C001", "P1", "3250.500",
                 [("P001", "2.000", "1500.000", "3000.000"),
                  ("P002", "1.000", "250.500", "250.500")]),
        "SO-2": ("2025-02-02", "C002", "P1", "1000.000",
                 [("P001", "10.000", "100.000", "1000.000")]),
    }
    assert file_state(app, data["import_id"]) == ("archived", 3, 0, 0)
    with app.app_context():
        imp = db.session.get(ImportFile, data["import_id"])
        assert imp.consolidated_records == 2 and imp.consolidated_at is not None
    # Nothing is waiting any more: a second Sync All finds nothing and changes nothing.
    assert sync_all(runner, "P1") == {"files": 0, "consolidated": 0, "failed": 0}
    assert count(app, SalesOrderLine) == 3


def rejections(app, import_id):
    with app.app_context():
        return [(r.row, r.field, r.value, r.reason) for r in db.session.execute(
            select(ImportRejection).where(ImportRejection.import_id == import_id)
            .order_by(ImportRejection.row, ImportRejection.id)).scalars()]


def test_a_document_with_one_bad_line_is_rejected_whole_with_every_lines_reason(
        app, runner, world3, tmp_path):
    rows = [
        ["SO-1", "2025-02-01", "C001", "P001", 1, 10, None],     # row 2: good document
        ["SO-2", "2025-02-01", "C001", "P001", 1, 10, None],     # row 3: SO-2 line 1
        ["SO-2", None, None, "P404", 1, 10, None],               # row 4: unknown product
        ["SO-3", None, None, "P001", 1, 10, None],               # row 5: no header anywhere
        ["SO-3", None, None, "P002", 1, 10, None],               # row 6
        ["SO-4", "2025-02-01", "C002", None, None, None, None],  # row 7: header, no lines
        ["SO-5", "2025-02-01", "C001", "P001", 1, 10, None],     # row 8
        ["SO-5", "2025-02-03", "C001", "P002", 1, 10, None],     # row 9: other order date
        ["SO-2", None, None, "P002", 3, 10, None],               # row 10: SO-2 again, later
    ]
    data = import_file(runner, order_file(tmp_path, rows))
    assert (data["rows"], data["accepted"], data["rejected"]) == (9, 1, 8)
    assert rejections(app, data["import_id"]) == [
        (3, "number", "SO-2", "document_rejected"),
        (4, "product", "P404", "unknown_product"),
        (5, "number", "SO-3", "no_header"),
        (6, "number", "SO-3", "no_header"),
        (7, "number", "SO-4", "no_lines"),
        (8, "number", "SO-5", "document_rejected"),
        (9, "order_date", "2025-02-03", "header_mismatch"),
        (10, "number", "SO-2", "document_rejected"),
    ]
    messages = {r["row"]: r["message"] for r in data["rejections"]}
    assert messages[3] == ("Order Number SO-2 is rejected whole: row 4 of it was rejected "
                           "(unknown_product).")
    assert messages[5] == ("Order Number SO-3 has no header: none of its rows gives Order Date, "
                           "Customer Code.")
    assert messages[7] == ("Order Number SO-4 has no lines: none of its rows gives Product Code, "
                           "Quantity, Unit Price.")
    assert messages[9] == ("Order Date '2025-02-03' differs from '2025-02-01' on row 8 of the "
                           "same document (Order Number SO-5).")
    assert sync_all(runner, "P1") == {"files": 1, "consolidated": 1, "failed": 0,
                                     "needs_attention": 1}
    assert list(orders(app)) == ["SO-1"]
    assert file_state(app, data["import_id"]) == ("needs_attention", 1, 8, 0)


def test_a_header_row_missing_a_required_header_field_is_rejected(app, runner, world3, tmp_path):
    rows = [["SO-1", "2025-02-01", None, "P001", 1, 10, None],
            ["SO-1", None, None, "P002", 1, 10, None]]
    data = import_file(runner, order_file(tmp_path, rows))
    assert rejections(app, data["import_id"]) == [
        (2, "customer", None, "required"), (3, "number", "SO-1", "document_rejected")]


def test_the_same_document_in_a_later_file_updates_it_never_duplicates(
        app, runner, world3, tmp_path):
    first = import_file(runner, order_file(tmp_path, GOOD, "first.xlsx"))
    changed = [["SO-1", "2025-02-05", "C002", "P002", 4, 10, None],
               ["SO-3", "2025-02-05", "C002", "P002", 1, 10, None]]
    second = import_file(runner, order_file(tmp_path, changed, "second.xlsx"))
    # Both wait; one Sync All consolidates them oldest first: the later file wins.
    assert sync_all(runner, "P1") == {"files": 2, "consolidated": 2, "failed": 0}
    result = orders(app)
    assert list(result) == ["SO-1", "SO-2", "SO-3"]
    assert result["SO-1"] == ("2025-02-05", "C002", "P1", "40.000",
                              [("P002", "4.000", "10.000", "40.000")])
    assert count(app, SalesOrderLine) == 3

    # The earlier file processed again (e.g. after a fix) must not undo the later file.
    with app.app_context():
        from app.services.imports import reprocess
        reprocess(db.session.get(ImportFile, first["import_id"]))
    drain(app)
    assert sync_all(runner, "P1") == {"files": 1, "consolidated": 1, "failed": 0}
    assert orders(app)["SO-1"] == result["SO-1"]
    assert count(app, SalesOrder) == 3 and count(app, SalesOrderLine) == 3
    assert second["import_id"] > first["import_id"]


def test_sync_all_pressed_twice_consolidates_once(app, runner, world3, tmp_path):
    import threading

    from app.queue import queue
    from app.services.consolidation import request_sync_all
    data = import_file(runner, order_file(tmp_path, GOOD))
    with app.app_context():
        principal = directory.get_org("P1")
        tasks = [request_sync_all(principal).id, request_sync_all(principal).id]
        workers = [queue().worker(app, thread=True) for _ in range(2)]
    threads = [threading.Thread(target=w.work, kwargs={"burst": True}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        from app.models.tasks import BackgroundTask
        results = [json.loads(db.session.get(BackgroundTask, t).result) for t in tasks]
    assert sorted(r["consolidated"] for r in results) == [0, 1]
    assert count(app, SalesOrder) == 2 and count(app, SalesOrderLine) == 3
    assert file_state(app, data["import_id"])[0] == "archived"


def test_a_run_stopped_in_the_middle_leaves_nothing_and_a_rerun_completes(
        app, runner, world3, tmp_path, monkeypatch):
    rows = [[f"SO-{n}", "2025-02-01", "C001", "P001", 1, n, None] for n in range(1, 8)]
    data = import_file(runner, order_file(tmp_path, rows))
    monkeypatch.setattr(consolidation_module, "DOCUMENTS_PER_CHUNK", 3)
    monkeypatch.setattr(consolidation_module, "DOCUMENTS_PER_SQL_CHUNK", 3)  # SQLite's path

    def killed(session):
        # The first chunk is written inside the transaction: prove it, then "die".
        assert session.scalar(select(db.func.count()).select_from(SalesOrder)) == 3
        raise KeyboardInterrupt("worker killed")

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            consolidate_file(db.session, data["import_id"], checkpoint=killed)
        db.session.rollback()
    assert count(app, SalesOrder) == 0, "nothing half-visible"
    assert file_state(app, data["import_id"]) == ("imported", 7, 0, 7)
    assert sync_all(runner, "P1") == {"files": 1, "consolidated": 1, "failed": 0}
    assert count(app, SalesOrder) == 7 and count(app, SalesOrderLine) == 7


def test_master_data_deleted_after_staging_fails_the_file_until_fixed(
        app, runner, world3, tmp_path):
    data = import_file(runner, order_file(tmp_path, GOOD))
    with app.app_context():
        org_id = directory.get_org("D1").id
        db.session.execute(db.delete(Product).where(Product.organization_id == org_id,
                                                    Product.code == "P002"))
        db.session.commit()
    assert sync_all(runner, "P1") == {"files": 1, "consolidated": 0, "failed": 1}
    assert count(app, SalesOrder) == 0
    with app.app_context():
        imp = db.session.get(ImportFile, data["import_id"])
        assert (str(imp.status), imp.error_code) == ("failed", "unknown_product")
        assert imp.error_message == ("Master data used by this file no longer exists: product "
                                     "P002 (in SO-1). Fix the master data, then re-process "
                                     "the file.")
        db.session.add(Product(organization_id=org_id, code="P002", name="back", unit="pcs"))
        db.session.commit()
        from app.services.imports import reprocess
        reprocess(imp)
    drain(app)
    assert sync_all(runner, "P1") == {"files": 1, "consolidated": 1, "failed": 0}
    assert file_state(app, data["import_id"]) == ("archived", 3, 0, 0)


def test_daily_visits_and_purchase_invoices(app, runner, world3, tmp_path):
    visits = xlsx(tmp_path / "visits.xlsx", [
        VISIT_HEADER,
        ["2025-02-01", "Budi", "C001", "09:15", "09:40", "took an order"],
        ["2025-02-01", "Budi", "C002", "9.50", None, None],
        ["2025-02-01", "Budi", "C001", "25:00", None, None],
        ["2025-02-01", "Budi", "C001", "09:15", None, "twice"]])
    data = import_file(runner, visits, "daily_visits")
    assert [(r["row"], r["reason"]) for r in data["rejections"]] == \
        [(4, "invalid_time"), (5, "duplicate_in_file")]
    purchases = xlsx(tmp_path / "purchases.xlsx", [
        PURCHASE_HEADER,
        ["PI-1", "2025-02-01", "P1", "P001", 24, 2800],
        ["PI-1", None, None, "P002", 12, 1000.5],
        ["PI-2", "2025-02-01", "P2", "P001", 1, 1]])  # P2 is not connected to D1
    data = import_file(runner, purchases, "purchase_invoices")
    assert [(r["row"], r["reason"]) for r in data["rejections"]] == [(4, "unknown_principal")]
    assert sync_all(runner, "P1") == {"files": 2, "consolidated": 2, "failed": 0,
                                     "needs_attention": 2}
    with app.app_context():
        got = [(v.customer.code, v.check_in, v.check_out, v.notes)
               for v in db.session.execute(
                   select(DailyVisit).order_by(DailyVisit.check_in)).scalars()]
        assert got == [("C001", "09:15", "09:40", "took an order"), ("C002", "09:50", None, None)]
        invoice = db.session.execute(select(PurchaseInvoice)).scalar_one()
        assert (invoice.number, invoice.supplier.code, str(invoice.total), invoice.line_count) == \
            ("PI-1", "P1", "79206.000", 2)


def test_sync_all_takes_only_files_shared_with_the_principal(app, runner, world3, tmp_path):
    import_file(runner, order_file(tmp_path, GOOD, "d1.xlsx"), "sales_orders", "D1")
    import_file(runner, order_file(tmp_path, GOOD, "d3.xlsx"), "sales_orders", "D3")
    assert sync_all(runner, "P2") == {"files": 1, "consolidated": 1, "failed": 0}
    assert list(orders(app, "D3")) == ["SO-1", "SO-2"] and orders(app, "D1") == {}
    # A distributor whose connection is inactive: its waiting file is not P1's to sync.
    with app.app_context():
        directory.connect("D1", "P1", active=False)
        db.session.commit()
    assert sync_all(runner, "P1") == {"files": 0, "consolidated": 0, "failed": 0}


@pytest.mark.parametrize("args, message", [
    (["NOPE"], "unknown organization: NOPE"),
    (["D1"], "D1 is a distributor: Sync All is a principal's"),
])
def test_sync_all_refuses_bad_arguments(app, runner, world3, args, message):
    result = muara(runner, "sync-all", *args, "--wait")
    assert result.exit_code != 0 and result.stdout == ""
    assert result.stderr == f"Error: {message}\n"


def test_sales_invoices_are_consolidated_like_orders(app, runner, world3, tmp_path):
    header = ["Invoice Number", "Invoice Date", "Customer Code", "Product Code", "Quantity",
              "Unit Price", "Location Code"]
    path = xlsx(tmp_path / "sales.xlsx", [
        header,
        ["SI-1", "2025-02-01", "C001", "P001", 3, 100, None],
        ["SI-1", None, None, "P002", 1, 50, None],
        ["SI-2", None, None, "P001", 1, 1, None]])
    data = import_file(runner, path, "sales_invoices")
    assert [(r["row"], r["reason"]) for r in data["rejections"]] == [(4, "no_header")]
    assert sync_all(runner, "P1") == {"files": 1, "consolidated": 1, "failed": 0,
                                     "needs_attention": 1}
    from app.models import SalesInvoice
    with app.app_context():
        invoice = db.session.execute(select(SalesInvoice)).scalar_one()
        assert (invoice.number, invoice.customer.code, str(invoice.total),
                [(ln.product.code, str(ln.amount)) for ln in invoice.lines]) == \
            ("SI-1", "C001", "350.000", [("P001", "300.000"), ("P002", "50.000")])
    exported = muara(runner, "export", "sales_invoices", "--org", "D1")
    assert exported.stdout.splitlines()[1:] == ["SI-1,2025-02-01,C001,P001,3,100,,300,P1",
                                                "SI-1,2025-02-01,C001,P002,1,50,,50,P1"]


def test_an_internal_fault_fails_that_file_only(app, runner, world3, tmp_path, monkeypatch):
    broken = import_file(runner, order_file(tmp_path, GOOD, "broken.xlsx"))["import_id"]
    fine = import_file(runner, order_file(tmp_path, [["SO-7", "2025-02-01", "C001", "P001", 1, 1,
                                                      None]], "fine.xlsx"))["import_id"]
    real = consolidation_module._documents

    def faulty(session, imp, *args):
        if imp.id == broken:
            raise ValueError("boom")
        return real(session, imp, *args)
    monkeypatch.setattr(consolidation_module, "_documents", faulty)
    assert sync_all(runner, "P1") == {"files": 2, "consolidated": 1, "failed": 1}
    assert list(orders(app)) == ["SO-7"]
    with app.app_context():
        imp = db.session.get(ImportFile, broken)
        assert (str(imp.status), imp.error_code) == ("failed", "internal_error")
    assert file_state(app, fine)[0] == "archived"


def test_a_file_pushed_by_a_real_time_integration_consolidates_on_arrival(
        app, client, runner, world3, tmp_path):
    """INT-2's "real time" for files the integration's own system pushes (the API); a file
    a person uploads waits for Sync All (seed 000), and so does a push in another mode."""
    from app.models import Integration
    from app.models.integrations import SyncMode
    from app.services.apikeys import create_key
    with app.app_context():
        integration = db.session.execute(
            select(Integration).where(Integration.name == "Files")
            .join(Integration.organization).filter_by(code="D1")).scalar_one()
        assert integration.sync_mode == SyncMode.realtime
        _, key = create_key(integration)
        integration_id = integration.id
        db.session.commit()

    def push(path):
        response = client.post("/api/v1/integration/files",
                               headers={"Authorization": f"Bearer {key}"},
                               data={"module": "sales_orders", "principal": "P1",
                                     "file": (io.BytesIO(Path(path).read_bytes()),
                                              Path(path).name)})
        assert response.status_code == 202, response.get_json()
        drain(app)
        return response.get_json()["import_id"]

    pushed = push(order_file(tmp_path, GOOD))
    assert file_state(app, pushed) == ("archived", 3, 0, 0)
    assert list(orders(app)) == ["SO-1", "SO-2"]
    uploaded = import_file(runner, order_file(tmp_path, [["SO-3", "2025-02-01", "C001", "P001",
                                                          1, 1, None]], "by-hand.xlsx"))
    drain(app)
    assert file_state(app, uploaded["import_id"])[0] == "imported"
    with app.app_context():
        db.session.get(Integration, integration_id).sync_mode = SyncMode.shift_closing
        db.session.commit()
    later = push(order_file(tmp_path, [["SO-4", "2025-02-01", "C001", "P001", 1, 1, None]],
                            "later.xlsx"))
    assert file_state(app, later)[0] == "imported"
    assert list(orders(app)) == ["SO-1", "SO-2"]


def test_sync_all_without_wait_queues_and_purge_takes_days(app, runner, world3, tmp_path):
    import_file(runner, order_file(tmp_path, GOOD))
    queued = muara(runner, "sync-all", "P1")
    assert queued.exit_code == 0
    answer = json.loads(queued.stdout)
    assert answer["status"] == "queued" and isinstance(answer["task_id"], int)
    assert count(app, SalesOrder) == 0  # queued only
    drain(app)
    assert count(app, SalesOrder) == 2
    kept = muara(runner, "purge", "--days", "1")
    assert (kept.exit_code, json.loads(kept.stdout)["deleted"]) == (0, 0)
    gone = muara(runner, "purge", "--days", "0")
    assert (gone.exit_code, json.loads(gone.stdout)["deleted"]) == (0, 1)
    assert count(app, ImportFile) == 0 and count(app, SalesOrder) == 2
    bad = muara(runner, "purge", "--days", "-1")
    assert bad.exit_code != 0 and "Invalid value for '--days'" in bad.stderr
