"""Seed 000 in a real browser against `python run.py`: the distributor's Importer drops a
Sales Order file, which waits in the Imported list; the principal presses Sync All,
confirms, sees the result and then the orders of its connected distributor."""
import openpyxl

from tests.live_server import SHOTS, drop_file, log_in, needs_chromium

pytestmark = needs_chromium

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def orders_file(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Order Number", "Order Date", "Customer Code", "Product Code", "Quantity",
                  "Unit Price", "Location Code"])
    sheet.append(["SO-B1", "2025-03-01", "C001", "P001", 12, 3500, "JKT"])
    sheet.append(["SO-B1", None, None, "P002", 24, 2500, None])
    sheet.append(["SO-B2", "2025-03-02", "C002", "P003", 5, 18000, "SBY"])
    sheet.append(["SO-B3", None, None, "P001", 1, 1, None])  # no header: rejected
    workbook.save(path)
    return path


def test_principal_presses_sync_all_and_sees_the_orders(page, server, tmp_path):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "sales_orders")
    drop_file(page, "#drop-zone", orders_file(tmp_path / "orders.xlsx"), XLSX)
    page.click("#import-button")
    page.wait_for_selector("#result", state="visible")
    assert "3 rows wait for consolidation" in page.inner_text("#result-alert")
    page.goto("/imports/list/?_flt_1_status=archived")
    assert "orders.xlsx" in page.inner_text("body")

    page.goto("/logout/")
    page.click("#logout-button")  # logout is a POST (issue 18)
    log_in(page, server, "principal")
    page.goto("/sync-all/")
    assert "DEMO-DIST" in page.inner_text("#waiting-files")
    page.screenshot(path=SHOTS / "4-sync-all.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#sync-all-button")
    # One of the file's rows was rejected: consolidated, and said to need attention.
    page.wait_for_selector("#sync-result.alert-warning", timeout=60000)
    assert "consolidated: 1" in page.inner_text("#sync-result")
    assert "Needs attention" in page.inner_text("#sync-result")
    page.screenshot(path=SHOTS / "5-sync-all-result.png", full_page=True)

    page.goto("/salesorderview/list/")
    body = page.inner_text("body")
    assert "SO-B1" in body and "SO-B2" in body and "SO-B3" not in body
    page.screenshot(path=SHOTS / "6-sales-orders.png", full_page=True)
    page.goto("/dashboard/")
    assert page.locator("#chart-consolidated rect.segment").count() == 1
    page.screenshot(path=SHOTS / "7-dashboard.png", full_page=True)
