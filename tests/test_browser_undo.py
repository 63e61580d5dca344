"""Check only -> Import now, and Undo's confirmation page, in a real browser (issue 19):
the Importer checks a file, reads what an import would do, imports the same file without
uploading it again; the Supervisor opens Undo, reads the counts before anything happens,
confirms, and reads the result on the file's page."""
import re

from tests.live_server import SHOTS, drop_file, log_in, needs_chromium, wait_for_undo_result

pytestmark = needs_chromium


def invoices_csv(path):
    path.write_text("Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,"
                    "Location Code\n"
                    "INV-U1,C001,2025-01-31,100.5,PO-1,JKT\n"
                    "INV-U2,C002,2025-02-01,10,PO-2,JKT\n"
                    "INV-U3,C999,2025-02-01,10,PO-3,JKT\n")
    return path


def test_check_only_then_import_now_then_undo(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "importer")
    page.goto("/data-import/")
    page.select_option("#module", "open_invoices")
    drop_file(page, "#drop-zone", invoices_csv(tmp_path / "undo-me.csv"), "text/csv")
    page.click("#check-button")

    page.wait_for_selector("#result", state="visible")
    assert page.inner_text("h2") == "Checking undo-me.csv"
    assert page.inner_text("#result-alert") == (
        "Checked, nothing written. An import would create 2 records, update 0 and leave 0 "
        "unchanged; 1 row was rejected.")
    page.screenshot(path=SHOTS / "undo-1-checked.png", full_page=True)
    import_id = re.search(r"/progress/(\d+)", page.url).group(1)

    page.click("#import-now-button")
    page.wait_for_url(re.compile(rf"/data-import/progress/{import_id}$"))
    page.wait_for_function(
        "() => document.getElementById('result-alert').textContent.includes('not imported')")
    assert "1 of 3 records was not imported" in page.inner_text("#result-alert")
    page.screenshot(path=SHOTS / "undo-2-imported-now.png", full_page=True)

    page.goto("/logout/")
    page.click("#logout-button")  # logout is a POST (issue 18)
    log_in(page, server, "supervisor")
    page.goto(f"/imports/show/{import_id}")
    page.click("#undo-button")
    page.wait_for_selector("#undo-counts")
    cells = page.locator("#undo-counts tbody td").all_inner_texts()
    assert cells == ["Open invoices", "2", "0", "0"]
    page.screenshot(path=SHOTS / "undo-3-confirm.png", full_page=True)
    page.click("#undo-confirm")

    page.wait_for_url(re.compile(rf"/imports/show/{import_id}$"))
    assert "2 removed, 0 given back their earlier values, 0 kept." in wait_for_undo_result(
        page)
    page.screenshot(path=SHOTS / "undo-4-done.png", full_page=True)
    page.goto("/openinvoiceview/list/")
    body = page.inner_text("body")
    assert "INV-U1" not in body and "INV-U2" not in body
