"""Issue 19.4 and 19.5 in a real browser: the Template Editor downloads a template file
that checks its columns in Excel and offers the company's codes, builds a template set
in the forms, and the Importer uploads one workbook with it and sees each sheet's
counts on the file's page; the Supervisor undoes the workbook, every sheet counted on the
confirmation page (issue 19.2)."""
import re

import openpyxl

from tests.live_server import SHOTS, log_in, needs_chromium, wait_for_undo_result

pytestmark = needs_chromium

INVOICE_HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
                  "Location Code"]


def set_workbook(path):
    wb = openpyxl.Workbook()
    invoices = wb.active
    invoices.title = "Invoices"
    for row in (INVOICE_HEADER, ["INV-S1", "C900", "2025-01-31", 100, "PO-1", "JKT"],
                ["INV-S2", "C404", "2025-01-31", 5, "PO-2", "JKT"]):
        invoices.append(row)
    customers = wb.create_sheet("Customers")
    for row in (["Customer Code", "Customer Name", "Customer ID"], ["C900", "Toko Baru", None]):
        customers.append(row)
    wb.save(path)
    return path


def choose(page, field, label):
    """Pick an option of a form's select (the framework dresses it with select2); a
    choice looked up as you type (issue 14) is found through the same JSON endpoint
    select2 asks."""
    value = page.evaluate("""async ([field, label]) => {
        const select = document.querySelector(`select[name="${field}"]`);
        let option = [...select.options].find(o => o.text.trim().startsWith(label));
        if (!option && select.dataset.choicesUrl) {
            const url = select.dataset.choicesUrl + "?q=" + encodeURIComponent(label);
            const answer = await fetch(url);
            const found = (await answer.json()).results.find(c => c.text.trim().startsWith(label));
            if (found) { option = new Option(found.text, found.id); select.add(option); }
        }
        return option ? option.value : null;
    }""", [field, label])
    assert value is not None, f"no option {label} in {field}"
    page.select_option(f"select[name={field}]", value, force=True)


def test_template_file_checks_and_a_set_imports_a_workbook(page, server, tmp_path):
    SHOTS.mkdir(exist_ok=True)
    log_in(page, server, "editor")

    # 19.4: the template file's code columns offer DEMO-DIST's codes
    page.goto("/template-files/")
    assert "drop-down lists" in page.inner_text("#template-file-rules")
    with page.expect_download() as download_info:
        page.click("a[href*='open_invoices.xlsx']")
    saved = tmp_path / "open_invoices_template.xlsx"
    download_info.value.save_as(saved)
    wb = openpyxl.load_workbook(saved)
    assert wb["Lists"].sheet_state == "hidden"
    codes = [c.value for c in wb["Lists"]["A"]]
    assert codes[0] == "Customer codes" and codes[1:] == sorted(codes[1:])
    assert {"C001", "C002", "C003", "C004", "C005"} <= set(codes)
    types = {str(rule.sqref).split(":")[0]: rule.type
             for rule in wb["Open Invoices"].data_validations.dataValidation}
    assert types == {"A2": "custom", "B2": "list", "C2": "date", "D2": "custom",
                     "E2": "custom", "F2": "list"}

    # 19.5: a template set in the forms: Invoices and Customers sheets
    page.goto("/templatesetview/add")
    choose(page, "organization", "DEMO-DIST")
    page.fill("input[name=name]", "Monthly workbook")
    page.click("#model_form button[type=submit]")
    page.wait_for_load_state()
    assert "Added Row" in page.inner_text("body"), page.inner_text("body")[:2000]
    for position, (sheet, template) in enumerate((("Invoices", "Default Open Invoices"),
                                                  ("Customers", "Default Customers"))):
        page.goto("/templatesetsheetview/add")
        choose(page, "template_set", "Monthly workbook")
        page.fill("input[name=position]", str(position))
        page.fill("input[name=sheet]", sheet)
        choose(page, "template", template)
        page.click("#model_form button[type=submit]")
        page.wait_for_load_state()
        assert "Added Row" in page.inner_text("body"), page.inner_text("body")[:2000]

    # the Importer uploads the workbook from the set's page
    page.goto("/logout/")
    page.click("#logout-button")  # logout is a POST
    log_in(page, server, "importer")
    page.goto("/templatesetview/list/")
    page.click("a[href*='/templatesetview/show/']")
    assert "Customers, Invoices" in page.inner_text("body")  # master data first
    page.set_input_files("#set-file", str(set_workbook(tmp_path / "month.xlsx")))
    page.screenshot(path=SHOTS / "set-1-upload.png", full_page=True)
    page.click("#set-upload-button")
    page.wait_for_selector("#sheet-imports")
    workbook_url = re.search(r"/imports/show/\d+", page.url).group(0)
    for _ in range(60):
        text = page.inner_text("#sheet-imports")
        if "Imported" not in text and "Processing" not in text:
            break
        page.wait_for_timeout(500)
        page.reload()
    rows = [[cell.strip() for cell in row.split("\t")]
            for row in page.inner_text("#sheet-imports tbody").strip().split("\n")]
    assert [row[:6] for row in rows] == [
        ["Customers", "Customers", "Archived", "1", "1", "0"],
        ["Invoices", "Open Invoices", "Needs attention", "2", "1", "1"]]
    page.screenshot(path=SHOTS / "set-2-file-page.png", full_page=True)

    page.click("#sheet-imports a:text('Rejections')")
    page.wait_for_selector("text=C404")
    assert "Customer code 'C404' does not exist for this company." in page.inner_text("body")

    # 19.2 with 19.5: the Supervisor undoes the workbook as one import, every sheet counted
    page.goto("/logout/")
    page.click("#logout-button")
    log_in(page, server, "supervisor")
    page.goto(workbook_url)
    page.click("#undo-button")
    page.wait_for_selector("#undo-counts")
    lines = [row.split("\t") for row in
             page.inner_text("#undo-counts tbody").strip().split("\n")]
    assert [[cell.strip() for cell in line] for line in lines] == [
        ["Invoices", "Open invoices", "1", "0", "0"], ["Customers", "Customers", "1", "0", "0"]]
    page.screenshot(path=SHOTS / "set-3-undo-confirm.png", full_page=True)
    page.click("#undo-confirm")
    assert "2 removed, 0 given back their earlier values, 0 kept." in wait_for_undo_result(
        page)
    assert "Undone" in page.inner_text("#sheet-imports")
