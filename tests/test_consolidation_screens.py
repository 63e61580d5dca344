"""The principal's side over HTTP (no browser): Sync All with its result, the consolidated
screens scoped to connected distributors and files shared with the principal, the
dashboard, the export as a principal sees it, and the retention purge."""
import datetime as dt
import json
import re

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    ImportBlob,
    ImportFile,
    ImportRejection,
    Organization,
    SalesOrder,
    SalesOrderLine,
    StagedRow,
)
from app.services import directory
from tests.conftest import denied, login, row_ids
from tests.consolidation_helpers import file_state, import_file, muara, order_file, portal, sync_all
from tests.factories import count, drain

ROWS = [["SO-1", "2025-02-01", "C001", "P001", 2, 10, None],
        ["SO-2", "2025-02-02", "C002", "P002", 1, 5, None]]


@pytest.fixture
def shared(app, world, runner, tmp_path):
    """D1 and D2 share orders with P1, D3 with P2; D1 also shares a file with P2."""
    portal(app)
    with app.app_context():
        directory.connect("D1", "P2")
        db.session.commit()
    files = {}
    for org in ("D1", "D2", "D3"):
        files[org] = import_file(runner, order_file(tmp_path, ROWS, f"{org}.xlsx"),
                                 "sales_orders", org, "--principal",
                                 "P2" if org == "D3" else "P1")["import_id"]
    other = [["SO-9", "2025-02-03", "C001", "P001", 1, 1, None]]
    files["D1-for-P2"] = import_file(runner, order_file(tmp_path, other, "p2.xlsx"),
                                     "sales_orders", "D1", "--principal", "P2")["import_id"]
    world.user("p1", "Principal", "P1")
    world.user("p2", "Principal", "P2")
    world.user("imp1", "Importer", "D1")
    return files


def order_ids(app, org, numbers=None):
    with app.app_context():
        query = (select(SalesOrder.id)
                 .join(Organization, SalesOrder.organization_id == Organization.id)
                 .where(Organization.code == org))
        if numbers:
            query = query.where(SalesOrder.number.in_(numbers))
        return sorted(db.session.execute(query).scalars())


def org_id(app, code):
    with app.app_context():
        return directory.get_org(code).id


def press_sync_all(app, client, principal):
    page = client.get("/sync-all/").get_data(as_text=True)
    assert 'id="sync-all-button"' in page and 'data-confirm="Consolidate every waiting file' in page
    response = client.post("/sync-all/run", data={"principal": org_id(app, principal)})
    assert response.status_code == 302
    result_url = response.headers["Location"]
    waiting = client.get(result_url).get_data(as_text=True)
    assert "Consolidating" in waiting and 'http-equiv="refresh"' in waiting
    drain(app)
    return client.get(result_url).get_data(as_text=True)


def test_a_principal_presses_sync_all_and_sees_only_its_connected_distributors_orders(
        app, client, shared):
    login(client, "p1")
    page = client.get("/sync-all/").get_data(as_text=True)
    start = page.index('id="waiting-files"')
    waiting = page[start:page.index("</table>", start)]  # the table, not the page's scripts
    assert "D1 — D1 name</td><td>1" in waiting and "D2 — D2 name</td><td>1" in waiting
    assert "D3" not in waiting

    result = press_sync_all(app, client, "P1")
    assert re.search(r"Files: <strong>2</strong>, consolidated: <strong>2</strong>,\s*"
                     r"failed: <strong>0</strong>", result), result
    listed = row_ids(client.get("/salesorderview/list/").get_data(as_text=True), "salesorderview")
    assert listed == order_ids(app, "D1") + order_ids(app, "D2")
    assert len(listed) == 4
    # D3's file waits for P2; D1's file for P2 too: neither was consolidated by P1.
    assert order_ids(app, "D3") == []
    assert file_state(app, shared["D1-for-P2"])[0] == "imported"

    login(client, "p2")
    press_sync_all(app, client, "P2")
    login(client, "p1")
    listed = row_ids(client.get("/salesorderview/list/").get_data(as_text=True), "salesorderview")
    assert listed == order_ids(app, "D1", ["SO-1", "SO-2"]) + order_ids(app, "D2")
    for hidden in order_ids(app, "D3") + order_ids(app, "D1", ["SO-9"]):
        assert client.get(f"/salesorderview/show/{hidden}").status_code == 404
    login(client, "p2")
    listed = row_ids(client.get("/salesorderview/list/").get_data(as_text=True), "salesorderview")
    assert listed == sorted(order_ids(app, "D1", ["SO-9"]) + order_ids(app, "D3"))


def test_an_order_shows_its_lines_and_filters_by_distributor_and_date(app, client, shared,
                                                                        runner):
    sync_all(runner, "P1")
    login(client, "p1")
    order = order_ids(app, "D2", ["SO-1"])[0]
    page = client.get(f"/salesorderview/show/{order}").get_data(as_text=True)
    # Quantities read without the stored trailing zeros (20.000 would read as twenty
    # thousand in Indonesian).
    assert "P001" in page and re.search(r">\s*20\s*<", page) and "20.000" not in page
    lines = client.get("/salesorderlineview/list/").get_data(as_text=True)
    assert len(row_ids(lines, "salesorderlineview")) == 4
    by_distributor = client.get(f"/salesorderview/list/?_flt_0_organization={org_id(app, 'D2')}")
    assert row_ids(by_distributor.get_data(as_text=True), "salesorderview") == order_ids(app, "D2")
    by_date = client.get("/salesorderview/list/?_flt_0_order_date=2025-02-02")
    assert row_ids(by_date.get_data(as_text=True), "salesorderview") == \
        sorted(order_ids(app, "D1", ["SO-2"]) + order_ids(app, "D2", ["SO-2"]))


def test_an_inactive_connection_hides_the_distributors_data(app, client, world, shared, runner):
    sync_all(runner, "P1")
    login(client, "p1")
    with app.app_context():
        directory.connect("D1", "P1", active=False)
        db.session.commit()
    listed = row_ids(client.get("/salesorderview/list/").get_data(as_text=True), "salesorderview")
    assert listed == order_ids(app, "D2")
    hidden = order_ids(app, "D1", ["SO-1"])[0]
    assert client.get(f"/salesorderview/show/{hidden}").status_code == 404
    exported = muara(runner, "export", "sales_orders", "--org", "P1", "--viewer", "p1",
                     "--format", "json")
    assert {r["Order Number"] for r in json.loads(exported.stdout)} == {"SO-1", "SO-2"}
    assert len(json.loads(exported.stdout)) == 2  # D2's two lines only
    with app.app_context():
        directory.connect("D1", "P1", active=True)
        db.session.commit()
    listed = row_ids(client.get("/salesorderview/list/").get_data(as_text=True), "salesorderview")
    assert listed == order_ids(app, "D1", ["SO-1", "SO-2"]) + order_ids(app, "D2")


def test_export_as_a_principal_is_what_its_screens_show(app, runner, shared):
    sync_all(runner, "P1")
    sync_all(runner, "P2")
    result = muara(runner, "export", "sales_orders", "--org", "P1", "--viewer", "p1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("Order Number,Order Date,Customer Code,Product Code,Quantity,Unit Price,"
                        "Location Code,Amount,Principal")
    assert lines[1:] == ["SO-1,2025-02-01,C001,P001,2,10,,20,P1"] * 2 + \
        ["SO-2,2025-02-02,C002,P002,1,5,,5,P1"] * 2
    # D3 is not connected to P1, the P2 file of D1 is not P1's: nothing of them.
    assert "SO-9" not in result.stdout
    as_p1 = muara(runner, "export", "sales_orders", "--org", "D3", "--viewer", "p1")
    assert as_p1.stdout.splitlines()[1:] == []
    own = muara(runner, "export", "sales_orders", "--org", "D1", "--viewer", "imp1")
    assert len(own.stdout.splitlines()) == 1 + 3  # SO-1, SO-2 and SO-9: D1's own


def test_roles_on_the_consolidated_screens(app, client, shared):
    login(client, "imp1")
    assert denied(client.get("/sync-all/"))
    assert denied(client.post("/sync-all/run", data={"principal": org_id(app, "P1")}))
    assert denied(client.get("/dashboard/"))
    assert client.get("/salesorderview/list/").status_code == 200
    login(client, "p1")
    # Another principal's Sync All is not P1's to run.
    assert client.post("/sync-all/run", data={"principal": org_id(app, "P2")}).status_code == 404


def test_the_dashboard_draws_states_consolidation_per_day_and_rejection_rates(
        app, client, runner, shared, tmp_path):
    bad = [["SO-7", "2025-02-01", "C001", "P404", 1, 1, None],
           ["SO-8", "2025-02-01", "C001", "P001", 1, 1, None]]
    import_file(runner, order_file(tmp_path, bad, "bad.xlsx"), "sales_orders", "D2")
    sync_all(runner, "P1")
    login(client, "p1")
    page = client.get("/dashboard/").get_data(as_text=True)
    states = page[page.index('id="chart-states"'):page.index('id="chart-consolidated"')]
    assert "<title>Archived: 2</title>" in states and "<title>Needs attention: 1</title>" in states
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    chart = page[page.index('id="chart-consolidated"'):page.index('id="table-consolidated"')]
    assert f"<title>{today} D1: 2 records</title>" in chart
    assert f"<title>{today} D2: 3 records</title>" in chart
    assert "D3" not in page
    rates = page[page.index('id="chart-rejections"'):]
    assert "<title>D1: 0.0% (0 of 2)</title>" in rates
    assert "<title>D2: 25.0% (1 of 4)</title>" in rates


def test_purge_deletes_old_files_with_their_bytes_and_staging_and_keeps_records(
        app, client, runner, shared):
    sync_all(runner, "P1")
    with app.app_context():
        old = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=31)
        db.session.execute(update(ImportFile).where(ImportFile.id.in_(
            [shared["D1"], shared["D3"]])).values(uploaded_at=old))
        db.session.commit()
    assert count(app, StagedRow, StagedRow.import_id == shared["D3"]) == 2
    result = muara(runner, "purge")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted"] == 2
    for gone in (shared["D1"], shared["D3"]):
        assert count(app, ImportFile, ImportFile.id == gone) == 0
        assert count(app, ImportBlob, ImportBlob.import_id == gone) == 0
        assert count(app, StagedRow, StagedRow.import_id == gone) == 0
        assert count(app, ImportRejection, ImportRejection.import_id == gone) == 0
    assert count(app, ImportFile) == 2  # D2's and D1's file for P2 are younger
    # D1's consolidated orders stay, still visible to P1.
    login(client, "p1")
    listed = row_ids(client.get("/salesorderview/list/").get_data(as_text=True), "salesorderview")
    assert listed == order_ids(app, "D1", ["SO-1", "SO-2"]) + order_ids(app, "D2")
    assert count(app, SalesOrderLine) == 4


@pytest.mark.parametrize("module, header", [
    ("sales_orders", ["Order Number", "Order Date", "Customer Code", "Product Code", "Quantity",
                      "Unit Price", "Location Code"]),
    ("daily_visits", ["Visit Date", "Salesperson", "Customer Code", "Check In", "Check Out",
                      "Notes"]),
    ("purchase_invoices", ["Invoice Number", "Invoice Date", "Supplier Code", "Product Code",
                           "Quantity", "Unit Cost"]),
])
def test_template_files_of_the_modules_have_their_columns(app, client, world, module, header):
    import io

    import openpyxl
    world.org("D9")
    world.user("ed", "Template Editor", "D9")
    login(client, "ed")
    response = client.get(f"/template-files/{module}.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == header


def test_a_consolidated_file_leaves_the_imported_list_a_failed_one_stays_with_its_reason(
        app, client, runner, shared):
    login(client, "imp1")
    imported_list = "/imports/list/?_flt_1_status=archived"
    assert row_ids(client.get(imported_list).get_data(as_text=True), "imports") == \
        sorted([shared["D1"], shared["D1-for-P2"]])
    sync_all(runner, "P1")
    with app.app_context():  # a product used by the P2 file disappears before P2 syncs
        from app.models import Product
        product = db.session.execute(select(Product).where(
            Product.organization_id == directory.get_org("D1").id,
            Product.code == "P001")).scalar_one()
        for table in (SalesOrderLine.__table__,):
            db.session.execute(table.delete().where(table.c.product_id == product.id))
        db.session.delete(product)
        db.session.commit()
    sync_all(runner, "P2")
    assert row_ids(client.get(imported_list).get_data(as_text=True), "imports") == \
        [shared["D1-for-P2"]]
    page = client.get(f"/imports/show/{shared['D1-for-P2']}").get_data(as_text=True)
    assert "Failed" in page
    assert "Master data used by this file no longer exists: product P001 (in SO-9)." in page


def test_sync_all_result_links_every_consolidated_screen(app, client, world):
    world.org("P1", kind="principal")
    world.user("p1", "Principal", "P1")
    login(client, "p1")
    result = press_sync_all(app, client, "P1")
    links = re.findall(r'<a class="btn btn-default" href="([^"]+)">([^<]+)</a>', result)
    assert [label for _, label in links] == ["Sales Orders", "Daily Visits", "Sales Invoices",
                                             "Purchase Invoices", "Back"]
    for href, label in links[:-1]:
        assert client.get(href).status_code == 200, label


def test_dashboard_gives_each_file_state_its_own_colour(app, client, world):
    world.org("P1", kind="principal")
    world.user("p1", "Principal", "P1")
    login(client, "p1")
    page = client.get("/dashboard/").get_data(as_text=True)
    states = page[page.index('id="chart-states"'):page.index('id="chart-consolidated"')]
    colours = dict(re.findall(r'<title>([^:<]+): \d+</title>.*?fill="(#[0-9a-f]{6})"', states,
                              re.S))
    assert colours == {"Imported": "#777777", "Processing": "#337ab7", "Archived": "#5cb85c",
                       "Needs attention": "#f0ad4e", "Failed": "#d9534f"}


def test_progress_says_plainly_when_a_waiting_file_brought_nothing(app, client, world, runner,
                                                                     tmp_path):
    portal(app)
    world.user("imp1", "Importer", "D1")
    unknown_product = [["SO-7", "2025-02-01", "C001", "P404", 1, 1, None]]
    nothing = import_file(runner, order_file(tmp_path, unknown_product, "bad.xlsx"))["import_id"]
    one_of_two = import_file(runner, order_file(tmp_path, unknown_product + ROWS[:1], "half.xlsx"))
    login(client, "imp1")

    status = client.get(f"/data-import/status/{nothing}").get_json()
    assert (status["outcome_style"], status["outcome_text"]) == (
        "warning", "Nothing was imported: 1 row was rejected.")
    status = client.get(f"/data-import/status/{one_of_two['import_id']}").get_json()
    assert (status["outcome_style"], status["outcome_text"]) == (
        "info", "Imported: 1 row waits for consolidation (the principal's Sync All, or the "
                "daily run); 1 row was rejected.")
    assert status["progress_text"] == "Imported: 2 of about 2 rows, 1 accepted, 1 rejected"
