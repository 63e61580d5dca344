"""Issue 17 in a real browser (Debian's chromium through Playwright), against the portal as
`python run.py` serves it: the Data Import form says which template reads the file before
the upload and follows the module chosen; a refused form keeps the dropped file, so the
corrected submit needs no second choice; the result's breakdown by reason links to the
rejection log filtered to the file and the reason, both filters in sight."""
import openpyxl

from tests.live_server import SHOTS, drop_file, log_in, needs_chromium

pytestmark = needs_chromium
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def invoices_file(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance",
                  "Customer PO", "Location Code"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_the_form_says_the_template_and_keeps_the_file_after_a_refusal(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    used = page.inner_text("#template-used")
    assert used.startswith("The file will be read with the template ")
    assert used.endswith("(the module's default).")
    # the sentence follows the module chosen, before anything is uploaded
    other = page.eval_on_selector(
        "#module", "s => [...s.options].find(o => !o.disabled && o.value !== 'open_invoices'"
                   " && o.dataset.template).value")
    page.select_option("#module", other)
    assert page.inner_text("#template-used") != used
    page.select_option("#module", "open_invoices")
    assert page.inner_text("#template-used") == used
    page.screenshot(path=SHOTS / "17-2-template-used.png", full_page=True)

    path = invoices_file(tmp_path / "kept.xlsx", [["INV-K1", "C001", "2025-01-31", 5, "PO",
                                                   "JKT"]])
    drop_file(page, "#drop-zone", path, XLSX)
    page.click("#import-button")
    page.wait_for_selector("#result", state="visible")

    # the same file again is refused as a duplicate: the file is kept, not lost
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", path, XLSX)
    page.click("#import-button")
    page.wait_for_selector("#import-error")
    assert "already imported" in page.inner_text("#import-error")
    assert "File kept: kept.xlsx" in page.inner_text("#drop-label")
    page.screenshot(path=SHOTS / "17-2-file-kept.png", full_page=True)
    page.check("#force")
    page.click("#import-button")  # no file chosen again
    page.wait_for_selector("#result", state="visible")
    assert "kept.xlsx" in page.inner_text("h2")


def test_the_breakdown_by_reason_links_to_the_filtered_rejection_log(page, server, tmp_path):
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", invoices_file(tmp_path / "reasons.xlsx", [
        ["INV-R1", "C001", "2025-01-31", 1, "PO", "JKT"],
        ["INV-R2", "C998", "2025-01-31", 2, "PO", "JKT"],
        ["INV-R3", "C999", "2025-01-31", 3, "PO", "JKT"],
        ["INV-R4", "C001", "2025-13-01", 4, "PO", "JKT"]]), XLSX)
    page.click("#import-button")
    page.wait_for_selector("#reason-breakdown .reason-link")
    links = page.eval_on_selector_all("#reason-breakdown .reason-link",
                                      "links => links.map(a => a.textContent)")
    assert links == ["Unknown customer: 2", "Invalid date: 1"]
    page.screenshot(path=SHOTS / "17-8-breakdown.png", full_page=True)

    page.click("text=Unknown customer: 2")
    page.wait_for_selector("#file-filter")
    assert "reasons.xlsx" in page.inner_text("#file-filter")
    assert page.is_visible("#file-filter")
    assert page.eval_on_selector("#reason-filter", "s => s.value") == "unknown_customer"
    body = page.inner_text("body")
    assert "C998" in body and "C999" in body and "2025-13-01" not in body
    page.screenshot(path=SHOTS / "17-8-rejection-log.png", full_page=True)

    # the reason choice lists the reasons present; "every reason" shows them all again
    with page.expect_navigation():
        page.select_option("#reason-filter", "")
    page.wait_for_selector("#file-filter")
    assert page.eval_on_selector("#reason-filter", "s => s.value") == ""
    assert "2025-13-01" in page.inner_text("body")
