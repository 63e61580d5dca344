"""Fixing rejected rows in the browser (issue 19 item 3) in a real browser against the
portal as `python run.py` serves it: the Importer imports a file with two bad rows; the
Supervisor opens "Fix in the browser" from the file's page, fixes one row (the grid checks
it as she types), leaves the other wrong, imports the fixed row and sees the file's
rejection resolved by the child import."""
import re

import openpyxl

from tests.live_server import SHOTS, drop_file, log_in, needs_chromium

pytestmark = needs_chromium

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def invoices_file(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance",
                  "Customer PO", "Location Code"])
    sheet.append(["INV-F1", "C001", "2025-01-31", 100.5, "PO-1", "JKT"])
    sheet.append(["INV-F2", "C999", "2025-01-31", 10, "PO-2", "JKT"])
    sheet.append(["INV-F3", "C002", "2025-13-01", 10, "PO-3", "SBY"])
    workbook.save(path)
    return path


def cell(page, row, column):
    return page.locator(f'#fix-grid tr[data-row="{row}"] td[data-col="{column}"]')


def test_supervisor_fixes_a_rejected_row_in_the_browser(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", invoices_file(tmp_path / "fixme.xlsx"), XLSX)
    page.click("#import-button")
    page.wait_for_selector("#result", state="visible")
    file_id = int(re.search(r"/data-import/progress/(\d+)", page.url).group(1))
    page.goto("/logout/")
    page.click("#logout-button")  # logout is a POST

    log_in(page, server, "supervisor")
    page.goto(f"/imports/show/{file_id}")
    page.click("#fix-in-browser")
    page.wait_for_selector("#fix-grid")
    assert page.locator("#fix-grid tbody tr").count() == 2
    assert "danger" in cell(page, 3, 1).get_attribute("class")
    assert "C999" in cell(page, 3, 1).locator(".cell-reason").inner_text()
    assert "2025-13-01" in cell(page, 4, 2).locator(".cell-reason").inner_text()

    # Keyboard: Enter goes down a row in the same column, ArrowUp back.
    customer = cell(page, 3, 1).locator("input")
    customer.click()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        "Row 4, Customer Code"
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        "Row 3, Customer Code"

    # Checked as typed: a customer that does not exist either, then one that does.
    customer.fill("C998")
    page.wait_for_function(
        """() => document.querySelector('#fix-grid tr[data-row="3"] td[data-col="1"]'
                  + ' .cell-reason').textContent.includes('C998')""")
    customer.fill("C003")
    page.wait_for_selector('#fix-grid tr[data-row="3"][data-valid="yes"]')
    assert "danger" not in cell(page, 3, 1).get_attribute("class")
    # Row 4: still a wrong date after the edit, so it stays wrong.
    date = cell(page, 4, 2).locator("input")
    date.fill("2025-14-01")
    page.wait_for_function(
        """() => document.querySelector('#fix-grid tr[data-row="4"] td[data-col="2"]'
                  + ' .cell-reason').textContent.includes('2025-14-01')""")
    page.screenshot(path=SHOTS / "fix-rows-grid.png", full_page=True)

    # Without the page's CSRF token the check is refused and nothing is imported.
    forged = page.request.post(f"/fix-rows/{file_id}/import", data={"rows": [
        {"row": 3, "values": ["INV-F2", "C003", "2025-01-31", "10", "PO-2", "JKT"]}]})
    assert forged.status == 400

    page.click("#import-fixed")
    page.wait_for_selector("#child-link")
    assert "1 row imported as import #" in page.inner_text("#fix-status")
    assert "1 row still wrong" in page.inner_text("#fix-status")
    assert page.locator("#fix-grid tbody tr").count() == 1  # row 4 stays, with its reason
    assert "2025-14-01" in cell(page, 4, 2).locator(".cell-reason").inner_text()
    assert page.inner_text("#fix-count") == "1 rejected row left to fix in this file."
    page.screenshot(path=SHOTS / "fix-rows-imported.png", full_page=True)

    # The child import runs; the parent's page rolls its counts up.
    page.click("#child-link")
    page.wait_for_selector("#parent-file")
    for _ in range(60):
        page.goto(f"/imports/show/{file_id}")
        if "Archived" in page.inner_text("#fixed-rows"):
            break
        page.wait_for_timeout(500)
    summary = page.inner_text("#fixed-rows")
    assert "this file has 2 accepted rows (1 fixed) and 1 rejected row still to fix" in summary
    page.screenshot(path=SHOTS / "fix-rows-parent.png", full_page=True)

    # The rejection log: the fixed row's rejection is resolved by the child import.
    page.goto(f"/rejections/list/?_flt_0_import_file={file_id}&_flt_0_column=Customer+Code")
    page.click('a[href^="/rejections/show/"]')
    page.wait_for_selector("#resolved-by")
    assert "Resolved by import #" in page.inner_text("#resolved-by")
