"""The main path in a real browser (Debian's chromium driven by Playwright) against the
portal as `python run.py` serves it: an Importer drops a file, watches the progress reach
the end, opens the rejection log and downloads the rejected rows."""

import openpyxl

from tests.live_server import SHOTS, drop_file, log_in, needs_chromium

pytestmark = needs_chromium


def invoices_file(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance",
                  "Customer PO", "Location Code"])
    sheet.append(["INV-B1", "C001", "2025-01-31", 100.5, "PO-1", "JKT"])
    sheet.append(["INV-B2", "C999", "2025-01-31", 10, "PO-2", "JKT"])
    sheet.append(["INV-B3", "C002", "2025-13-01", 10, "=1+1", "SBY"])
    sheet.append(["INV-B4", "C003", "2025-02-01", 20, "PO-4", "SBY"])
    sheet["E4"].data_type = "s"  # text that looks like a formula, as a user may type it
    workbook.save(path)
    return path


def test_importer_drops_a_file_and_reviews_the_rejections(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", invoices_file(tmp_path / "invoices.xlsx"),
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "invoices.xlsx" in page.inner_text("#drop-label")
    page.screenshot(path=SHOTS / "1-data-import.png", full_page=True)
    page.click("#import-button")

    page.wait_for_selector("#result", state="visible")
    assert page.get_attribute("#progress-bar", "aria-valuenow") == "100"
    assert "2 of 4 records were not imported" in page.inner_text("#result-alert")
    page.screenshot(path=SHOTS / "2-progress-done.png", full_page=True)

    page.click("#rejections-link")
    page.wait_for_selector("text=does not exist for this company")
    log = page.inner_text("body")
    assert "Customer code 'C999' does not exist for this company." in log
    assert "Invoice Date '2025-13-01' is not a valid date in the format YYYY-MM-DD." in log
    page.screenshot(path=SHOTS / "3-rejection-log.png", full_page=True)

    page.go_back()
    page.wait_for_selector("#rejected-rows-link", state="visible")
    with page.expect_download() as download_info:
        page.click("#rejected-rows-link")
    saved = tmp_path / "rejected.xlsx"
    download_info.value.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance",
                       "Customer PO", "Location Code", "Reason"]
    assert [r[0] for r in rows[1:]] == ["INV-B2", "INV-B3"]
    assert sheet["E3"].value == "=1+1" and sheet["E3"].data_type == "s"
