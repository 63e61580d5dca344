"""Template Files (TPL-3): GET /template-files/<module>.xlsx of the five modules of the data
import (customers, products, open_invoices, open_credits, inventory_boxes) gives an .xlsx
attachment whose first sheet has exactly the documented columns (SPEC section 5) and an
example row, and whose Notes sheet gives each column's rules. The example row is real: the
downloaded file imports as it is through the module's default template.
(The consolidated modules' headers are checked in test_consolidation_screens.py.)
"""
import io

import openpyxl
import pytest
from werkzeug.http import parse_options_header

from tests.conftest import login
from tests.factories import check_counts, make_distributor, run_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# SPEC section 5, "Default templates": the columns, * = required.
DOCUMENTED = {
    "customers": ("Customers", ["Customer Code*", "Customer Name*", "Customer ID"]),
    "products": ("Products", ["Product Code*", "Product Name*", "Unit*"]),
    "open_invoices": ("Open Invoices", ["Invoice #*", "Customer Code*", "Invoice Date*",
                                        "Invoice Balance*", "Customer PO*", "Location Code"]),
    "open_credits": ("Open Credits", ["Customer Code*", "Credit Date*", "Reference*",
                                      "Amount*"]),
    "inventory_boxes": ("Inventory in Boxes", ["Product Code*", "Location Code*", "Boxes*",
                                               "Units per Box*", "Date*"]),
}
EXAMPLES = {
    "customers": ["C001", "Toko Makmur", "CUST-88"],
    "products": ["P001", "Mineral water 600ml", "btl"],
    "open_invoices": ["INV-0001", "C001", "2025-01-31", 1250.5, "PO-7781", "JKT"],
    "open_credits": ["C001", "2025-01-31", "CR-0001", 75.25],
    "inventory_boxes": ["P001", "JKT", 12, 24, "2025-01-31"],
}
# A few rules the Notes sheet must state in full (INV-1, CRD-1, BOX-1).
RULES = {
    ("open_invoices", "Invoice #"):
        "Required. Max. 20 characters. Saved as the invoice's Ref #.",
    ("open_invoices", "Invoice Date"):
        "Required. Date, YYYY-MM-DD (a real Excel date cell is accepted too).",
    ("open_invoices", "Invoice Balance"): "Required. Number with at most 3 decimals.",
    ("open_invoices", "Customer PO"): "Required. Max. 20 characters.",
    ("open_invoices", "Customer Code"):
        "Required. Max. 40 characters. Must be an existing customer code of the company.",
    ("open_invoices", "Location Code"):
        "Required for multi-location companies, optional otherwise. Max. 40 characters. "
        "Must be an existing location code of the company.",
    ("open_credits", "Amount"):
        "Required. Number with at most 3 decimals. Must be greater than zero.",
    ("inventory_boxes", "Boxes"): "Required. Whole number. Must be greater than zero.",
    ("inventory_boxes", "Units per Box"): "Required. Whole number. Must be greater than zero.",
    ("products", "Unit"): "Required. Max. 20 characters.",
    ("customers", "Customer ID"):
        "Optional. Max. 60 characters. The source system's id of the customer.",
}


@pytest.fixture
def editor(app, client, world):
    make_distributor(app)
    world.user("ed", "Template Editor", "D1")
    login(client, "ed")
    return client


def download(client, module):
    response = client.get(f"/template-files/{module}.xlsx")
    assert response.status_code == 200, response.status_code
    return response


@pytest.mark.parametrize("module", sorted(DOCUMENTED))
def test_template_file_is_an_xlsx_attachment_named_after_the_module(app, editor, module):
    response = download(editor, module)
    assert response.mimetype == XLSX
    kind, options = parse_options_header(response.headers["Content-Disposition"])
    assert (kind, options["filename"]) == ("attachment", f"{module}_template.xlsx")
    assert response.data[:4] == b"PK\x03\x04"


@pytest.mark.parametrize("module", sorted(DOCUMENTED))
def test_first_sheet_has_the_documented_columns_and_an_example_row(app, editor, module):
    label, documented = DOCUMENTED[module]
    workbook = openpyxl.load_workbook(io.BytesIO(download(editor, module).data))
    visible = [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
    assert visible == [label, "Notes"]
    hidden = [ws.title for ws in workbook.worksheets if ws.sheet_state == "hidden"]
    assert hidden == ([] if module in ("customers", "products") else ["Lists"])  # issue 19.4
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert rows == [[column.rstrip("*") for column in documented], EXAMPLES[module]]


@pytest.mark.parametrize("module", sorted(DOCUMENTED))
def test_notes_sheet_names_each_column_required_or_not_with_its_rules(app, editor, module):
    _, documented = DOCUMENTED[module]
    notes = openpyxl.load_workbook(io.BytesIO(download(editor, module).data))["Notes"]
    rows = [list(row) for row in notes.iter_rows(values_only=True)]
    assert rows[0] == ["Column", "Required", "Rules"]
    assert [(column, required) for column, required, _ in rows[1:]] == [
        (column.rstrip("*"), "Yes" if column.endswith("*") else "No") for column in documented]
    rules = {column: text for column, _, text in rows[1:]}
    for (rule_module, column), text in RULES.items():
        if rule_module == module:
            assert rules[column] == text, column
    for _column, required, text in rows[1:]:
        assert text.startswith("Required." if required == "Yes" else ("Optional.", "Required for"))


def test_an_unknown_module_is_404(app, editor):
    assert editor.get("/template-files/no_such_module.xlsx").status_code == 404


@pytest.mark.parametrize("module", sorted(DOCUMENTED))
def test_the_downloaded_file_imports_as_it_is_with_the_default_template(
        app, editor, runner, tmp_path, module):
    """The example row follows the rules it documents, and the Notes sheet (second) is not
    read: D1 has customer C001, product P001 and location JKT."""
    path = tmp_path / f"{module}_template.xlsx"
    path.write_bytes(download(editor, module).data)
    _, out = run_import(runner, str(path), module)
    assert (out["status"], out["rows"], out["accepted"], out["rejections"]) == \
        ("archived", 1, 1, [])
    check_counts(app, out)
