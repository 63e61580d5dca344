"""The column rules of the modules (INV-1, CRD-1, BOX-1), through the import job: each bad
value is rejected with its reason code, message, row and column, and the other rows of
the same file are written (nothing lost: rows = accepted + rejected).

Files are built with openpyxl (a real Excel date cell is a date, a number cell a float)
or written as bytes (CSV); `muara import --wait` runs the job (see test_import_job.py).
"""
import datetime as dt
import zipfile
from decimal import Decimal

import pytest

from tests.factories import (
    BOXES_HEADER,
    CREDIT_HEADER,
    INVOICE_HEADER,
    balances,
    check_counts,
    invoice_file,
    invoices,
    make_distributor,
    refused,
    rej,
    run_import,
    set_line,
    write_bytes,
    xlsx,
)


def refs(app, org="D1"):
    return sorted(invoices(app, org))


def date_message(value, formats="YYYY-MM-DD"):
    return f"Invoice Date '{value}' is not a valid date in the format {formats}."


# --- dates ------------------------------------------------------------------------------------

def test_impossible_and_foreign_dates_are_rejected(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", 1, "PO-1", None],
        ["INV-2", "C001", "2025-13-01", 2, "PO-2", None],
        ["INV-3", "C001", "31/12/2025", 3, "PO-3", None],
        ["INV-4", "C001", "2025-12-31", 4, "PO-4", None],
        ["INV-5", "C001", "2025-1-31", 5, "PO-5", None],
        ["INV-6", "C001", " 2025-02-28 ", 6, "PO-6", None],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [
        rej(3, "Invoice Date", "invoice_date", "2025-13-01", "invalid_date",
            date_message("2025-13-01")),
        rej(4, "Invoice Date", "invoice_date", "31/12/2025", "invalid_date",
            date_message("31/12/2025")),
        rej(6, "Invoice Date", "invoice_date", "2025-1-31", "invalid_date",
            date_message("2025-1-31")),
    ]
    assert (out["status"], out["rows"], out["accepted"], out["rejected"]) == \
        ("needs_attention", 6, 3, 3)
    check_counts(app, out)
    assert refs(app) == ["INV-1", "INV-4", "INV-6"]


def test_real_excel_date_cells_are_accepted(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", dt.date(2025, 2, 28), 1, "PO-1", None],
        ["INV-2", "C001", dt.datetime(2025, 3, 1, 17, 45), 2, "PO-2", None],
    ])
    _, out = run_import(runner, path)
    assert (out["status"], out["accepted"], out["rejections"]) == ("archived", 2, [])
    assert {ref: inv[1] for ref, inv in invoices(app).items()} == \
        {"INV-1": dt.date(2025, 2, 28), "INV-2": dt.date(2025, 3, 1)}


def test_date_formats_of_the_template_line(app, runner, d1, tmp_path):
    set_line(app, "D1", "open_invoices", "invoice_date", date_formats="%Y-%m-%d, %d/%m/%Y")
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "31/12/2025", 1, "PO-1", None],
        ["INV-2", "C001", "12/31/2025", 2, "PO-2", None],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [rej(3, "Invoice Date", "invoice_date", "12/31/2025",
                                     "invalid_date",
                                     date_message("12/31/2025", "YYYY-MM-DD or DD/MM/YYYY"))]
    assert invoices(app)["INV-1"][1] == dt.date(2025, 12, 31)


# --- numbers ----------------------------------------------------------------------------------

def test_balance_with_four_decimals_is_rejected_three_accepted(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", 1.125, "PO-1", None],
        ["INV-2", "C001", "2025-01-31", 1.1255, "PO-2", None],
        ["INV-3", "C001", "2025-01-31", "2.0001", "PO-3", None],
        ["INV-4", "C001", "2025-01-31", "7.500", "PO-4", None],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [
        rej(3, "Invoice Balance", "balance", "1.1255", "too_many_decimals",
            "Invoice Balance 1.1255 has 4 decimals; at most 3 are allowed."),
        rej(4, "Invoice Balance", "balance", "2.0001", "too_many_decimals",
            "Invoice Balance 2.0001 has 4 decimals; at most 3 are allowed."),
    ]
    check_counts(app, out)
    assert {ref: inv[2] for ref, inv in invoices(app).items()} == \
        {"INV-1": Decimal("1.125"), "INV-4": Decimal("7.5")}


def _patch_xlsx_values(path, replacements):
    """Rewrite cell values in the sheet XML, as Excel stores a formula's full-precision
    result (openpyxl itself writes 15 significant digits)."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                for old, new in replacements.items():
                    assert old.encode() in data
                    data = data.replace(old.encode(), new.encode())
            out.writestr(info, data)


def test_excel_float_noise_is_read_as_excel_shows_it(app, runner, d1, tmp_path):
    """=0.1+0.2 is stored as 0.30000000000000004 and shown as 0.3 by Excel: 1 decimal."""
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", 0.3, "PO-1", None],
        ["INV-2", "C001", "2025-01-31", 3.3, "PO-2", None],
    ])
    _patch_xlsx_values(path, {"<v>0.3</v>": "<v>0.30000000000000004</v>",
                              "<v>3.3</v>": "<v>3.3000000000000003</v>"})
    _, out = run_import(runner, path)
    assert (out["status"], out["rejections"]) == ("archived", [])
    assert {ref: inv[2] for ref, inv in invoices(app).items()} == \
        {"INV-1": Decimal("0.3"), "INV-2": Decimal("3.3")}


def test_text_in_a_number_column_is_rejected(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", "twelve", "PO-1", None],
        ["INV-2", "C001", "2025-01-31", "12", "PO-2", None],
        ["INV-3", "C001", "2025-01-31", "1,5", "PO-3", None],  # no decimal comma configured
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [
        rej(2, "Invoice Balance", "balance", "twelve", "invalid_number",
            "Invoice Balance 'twelve' is not a number."),
        rej(4, "Invoice Balance", "balance", "1,5", "invalid_number",
            "Invoice Balance '1,5' is not a number."),
    ]
    check_counts(app, out)
    assert refs(app) == ["INV-2"]


# --- text lengths and required values ---------------------------------------------------------

def test_invoice_number_over_20_characters_is_too_long(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["A" * 21, "C001", "2025-01-31", 1, "PO-1", None],
        ["B" * 20, "C001", "2025-01-31", 2, "PO-2", None],
        ["INV-3", "C001", "2025-01-31", 3, "P" * 21, None],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [
        rej(2, "Invoice #", "reference", "A" * 21, "too_long",
            "Invoice # has 21 characters; at most 20 are allowed."),
        rej(4, "Customer PO", "customer_po", "P" * 21, "too_long",
            "Customer PO has 21 characters; at most 20 are allowed."),
    ]
    check_counts(app, out)
    assert refs(app) == ["B" * 20]


def test_blank_required_values_are_rejected(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", 1, None, None],
        [None, "C001", "2025-01-31", 2, "PO-2", None],
        ["INV-3", "C001", "2025-01-31", "   ", "PO-3", None],
        ["INV-4", "C001", "2025-01-31", 4, "PO-4", None],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [
        rej(2, "Customer PO", "customer_po", None, "required", "Customer PO is required."),
        rej(3, "Invoice #", "reference", None, "required", "Invoice # is required."),
        rej(4, "Invoice Balance", "balance", None, "required", "Invoice Balance is required."),
    ]
    check_counts(app, out)
    assert refs(app) == ["INV-4"]


def test_a_row_with_several_problems_counts_once(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C404", "2025-02-30", "1.23456", "PO-1", "XYZ"],
        ["INV-2", "C001", "2025-01-31", 2, "PO-2", "JKT"],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [
        rej(2, "Customer Code", "customer", "C404", "unknown_customer",
            "Customer code 'C404' does not exist for this company."),
        rej(2, "Invoice Date", "invoice_date", "2025-02-30", "invalid_date",
            date_message("2025-02-30")),
        rej(2, "Invoice Balance", "balance", "1.23456", "too_many_decimals",
            "Invoice Balance 1.23456 has 5 decimals; at most 3 are allowed."),
        rej(2, "Location Code", "location", "XYZ", "unknown_location",
            "Location code 'XYZ' does not exist for this company."),
    ]
    assert (out["rows"], out["accepted"], out["rejected"]) == (2, 1, 1)
    check_counts(app, out)
    assert refs(app) == ["INV-2"]


# --- lookups ----------------------------------------------------------------------------------

def test_unknown_customer_and_location(app, runner, d1, tmp_path):
    make_distributor(app, "D2", principal="P1", customers=("C009",), locations=("SBY",))
    path = invoice_file(tmp_path, [
        ["INV-1", "C009", "2025-01-31", 1, "PO-1", None],   # a customer of another company
        ["INV-2", "C001", "2025-01-31", 2, "PO-2", "SBY"],  # a location of another company
        ["INV-3", "c001", "2025-01-31", 3, "PO-3", "JKT"],  # codes are exact
        ["INV-4", "C002", "2025-01-31", 4, "PO-4", "JKT"],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [
        rej(2, "Customer Code", "customer", "C009", "unknown_customer",
            "Customer code 'C009' does not exist for this company."),
        rej(3, "Location Code", "location", "SBY", "unknown_location",
            "Location code 'SBY' does not exist for this company."),
        rej(4, "Customer Code", "customer", "c001", "unknown_customer",
            "Customer code 'c001' does not exist for this company."),
    ]
    check_counts(app, out)
    assert refs(app) == ["INV-4"]
    assert invoices(app)["INV-4"][4] == "JKT"


def test_codes_typed_as_numbers_in_excel_match(app, runner, tmp_path):
    make_distributor(app, customers=("1001",), locations=("7",))
    path = invoice_file(tmp_path, [[12345, 1001, "2025-01-31", 5, 778, 7]])
    _, out = run_import(runner, path)
    assert (out["status"], out["rejections"]) == ("archived", [])
    assert invoices(app)["12345"][:5] == ("1001", dt.date(2025, 1, 31), Decimal("5"), "778", "7")


def test_location_is_required_for_a_multi_location_company(app, runner, tmp_path):
    make_distributor(app, multi_location=True, locations=("JKT", "SBY"))
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", 1, "PO-1", "SBY"],
        ["INV-2", "C001", "2025-01-31", 2, "PO-2", None],
        ["INV-3", "C001", "2025-01-31", 3, "PO-3", "  "],
    ])
    _, out = run_import(runner, path)
    message = "Location Code is required for a multi-location company."
    assert out["rejections"] == [
        rej(3, "Location Code", "location", None, "required", message),
        rej(4, "Location Code", "location", None, "required", message),
    ]
    check_counts(app, out)
    assert refs(app) == ["INV-1"]
    assert invoices(app)["INV-1"][4] == "SBY"


def test_a_multi_location_file_without_the_location_column_fails(app, runner, tmp_path):
    make_distributor(app, multi_location=True, locations=("JKT", "SBY"))
    path = xlsx(tmp_path / "no_location.xlsx",
                [INVOICE_HEADER[:5], ["INV-1", "C001", "2025-01-31", 1, "PO-1"]])
    _, out = run_import(runner, path, ok=False)
    assert out["error"] == {
        "reason": "missing_column",
        "message": "The file has no column 'Location Code', which the template requires. "
                   "Columns found: 'Invoice #', 'Customer Code', 'Invoice Date', "
                   "'Invoice Balance', 'Customer PO'."}
    assert refs(app) == []


def test_location_is_optional_for_a_single_location_company(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", 1, "PO-1", None],
        ["INV-2", "C001", "2025-01-31", 2, "PO-2", "JKT"],
    ])
    _, out = run_import(runner, path)
    assert (out["status"], out["rejections"]) == ("archived", [])
    assert {ref: inv[4] for ref, inv in invoices(app).items()} == {"INV-1": None, "INV-2": "JKT"}

    # Without the column at all, too.
    path = xlsx(tmp_path / "no_location.xlsx",
                [INVOICE_HEADER[:5], ["INV-3", "C002", "2025-01-31", 3, "PO-3"]])
    _, out = run_import(runner, path)
    assert (out["status"], out["accepted"]) == ("archived", 1)
    assert invoices(app)["INV-3"][4] is None


# --- duplicates within a file -----------------------------------------------------------------

def test_repeated_invoice_numbers_reject_the_later_rows(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", 1, "PO-1", None],
        ["INV-2", "C001", "2025-01-31", 2, "PO-2", None],
        ["INV-1", "C002", "2025-02-01", 9, "PO-9", None],
        [" INV-1 ", "C002", "2025-02-01", 8, "PO-8", None],
    ])
    _, out = run_import(runner, path)
    message = ("Invoice # 'INV-1' appears more than once in the file: first on row 2; this row "
               "was not imported.")
    assert out["rejections"] == [
        rej(4, "Invoice #", "reference", "INV-1", "duplicate_in_file", message),
        rej(5, "Invoice #", "reference", "INV-1", "duplicate_in_file", message),
    ]
    assert (out["rows"], out["accepted"], out["rejected"]) == (4, 2, 2)
    check_counts(app, out)
    assert invoices(app)["INV-1"][:3] == ("C001", dt.date(2025, 1, 31), Decimal("1"))
    assert refs(app) == ["INV-1", "INV-2"]


# --- credits ----------------------------------------------------------------------------------

def test_negative_and_zero_credits_are_not_positive(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "credits.xlsx", [
        CREDIT_HEADER,
        ["C001", "2025-01-31", "CR-1", -10],
        ["C001", "2025-01-31", "CR-2", 0],
        ["C001", "2025-01-31", "CR-3", "-2.5"],
        ["C001", "2025-01-31", "CR-4", "0.000"],
        ["C001", "2025-01-31", "CR-5", 12.75],
    ])
    _, out = run_import(runner, path, "open_credits")
    assert out["rejections"] == [
        rej(2, "Amount", "amount", "-10", "not_positive",
            "Amount must be greater than zero (got -10)."),
        rej(3, "Amount", "amount", "0", "not_positive",
            "Amount must be greater than zero (got 0)."),
        rej(4, "Amount", "amount", "-2.5", "not_positive",
            "Amount must be greater than zero (got -2.5)."),
        rej(5, "Amount", "amount", "0.000", "not_positive",
            "Amount must be greater than zero (got 0.000)."),
    ]
    assert (out["rows"], out["accepted"], out["rejected"]) == (5, 1, 4)
    check_counts(app, out)
    assert balances(app) == {"C001": Decimal("-12.75"), "C002": Decimal("0")}


# --- what the file looks like -----------------------------------------------------------------

def test_trailing_empty_rows_and_columns_are_ignored(app, runner, d1, tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(INVOICE_HEADER + [None, "  "])               # blank header cells after the last
    ws.append(["INV-1", "C001", "2025-01-31", 1, "PO-1", None, None, None])
    ws.append([None] * 6)                                   # a blank row between: skipped
    ws.append(["INV-2", "C001", "2025-01-31", 2, "PO-2", "JKT", None, "note"])  # beyond header
    ws.cell(row=5, column=2).value = "   "                  # whitespace only: blank
    ws.cell(row=30, column=1).value = ""                    # trailing empty rows
    ws.cell(row=31, column=4).value = " "
    ws.cell(row=60, column=12).number_format = "0.00"      # a styled empty cell far away
    path = tmp_path / "trailing.xlsx"
    wb.save(path)
    _, out = run_import(runner, str(path))
    assert (out["status"], out["rows"], out["accepted"], out["rejected"]) == ("archived", 2, 2, 0)
    assert refs(app) == ["INV-1", "INV-2"]


def test_trailing_empty_lines_and_separators_in_csv_are_ignored(app, runner, d1, tmp_path):
    text = (",".join(INVOICE_HEADER) + ",,\r\n"
            "INV-1,C001,2025-01-31,1,PO-1,,,\r\n"
            ",,,,,,,\r\n"
            "INV-2,C001,2025-01-31,x,PO-2,JKT,,\r\n"
            "\r\n,,,\r\n\r\n")
    _, out = run_import(runner, write_bytes(tmp_path / "trailing.csv", text.encode()))
    assert (out["rows"], out["accepted"], out["rejected"]) == (2, 1, 1)
    assert out["rejections"] == [rej(4, "Invoice Balance", "balance", "x", "invalid_number",
                                     "Invoice Balance 'x' is not a number.")]
    check_counts(app, out)


def test_spaces_around_values_are_trimmed(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["  INV-1 ", " C001\t", " 2025-01-31 ", " 12.5 ", "  PO-1  ", " JKT "],
    ])
    _, out = run_import(runner, path)
    assert (out["status"], out["rejections"]) == ("archived", [])
    assert invoices(app) == {"INV-1": ("C001", dt.date(2025, 1, 31), Decimal("12.5"), "PO-1",
                                       "JKT", "No Carrier",
                                       [("Additional Charge", Decimal("12.5"))])}


def test_header_cells_with_odd_spacing_still_match(app, runner, d1, tmp_path):
    header = [" Invoice  # ", "customer code", "Invoice Date", "INVOICE BALANCE", "Customer PO",
              "Location Code"]
    path = xlsx(tmp_path / "header.xlsx", [header, ["INV-1", "C001", "2025-01-31", 1, "PO", None]])
    _, out = run_import(runner, path)
    assert (out["status"], out["accepted"]) == ("archived", 1)


# --- CSV --------------------------------------------------------------------------------------

def test_csv_windows_1252_semicolons_and_decimal_comma(app, runner, d1, tmp_path):
    set_line(app, "D1", "open_invoices", "balance", decimal_separator=",")
    text = (";".join(INVOICE_HEADER) + "\r\n"
            "INV-1;C001;2025-01-31;1250,5;PO-Müller;JKT\r\n"
            "INV-2;C002;2025-02-01;0,125;Façade é;\r\n"
            "INV-3;C001;2025-02-01;1,2345;PO-3;\r\n"
            "INV-4;C001;2025-02-01;7;PO-4;\r\n")
    path = write_bytes(tmp_path / "excel.csv", text.encode("cp1252"))
    _, out = run_import(runner, path)
    assert out["rejections"] == [rej(4, "Invoice Balance", "balance", "1,2345",
                                     "too_many_decimals",
                                     "Invoice Balance 1,2345 has 4 decimals; at most 3 are "
                                     "allowed.")]
    assert (out["rows"], out["accepted"], out["rejected"]) == (4, 3, 1)
    check_counts(app, out)
    assert {ref: (inv[2], inv[3]) for ref, inv in invoices(app).items()} == {
        "INV-1": (Decimal("1250.5"), "PO-Müller"),
        "INV-2": (Decimal("0.125"), "Façade é"),
        "INV-4": (Decimal("7"), "PO-4"),
    }


def test_csv_decimal_comma_with_thousands_dots(app, runner, d1, tmp_path):
    set_line(app, "D1", "open_invoices", "balance", decimal_separator=",",
             thousands_separator=".")
    text = (";".join(INVOICE_HEADER) + "\n"
            'INV-1;C001;2025-01-31;"1.234.567,891";PO-1;\n')
    _, out = run_import(runner, write_bytes(tmp_path / "thousands.csv", text.encode("cp1252")))
    assert (out["status"], out["rejections"]) == ("archived", [])
    assert invoices(app)["INV-1"][2] == Decimal("1234567.891")


def test_csv_utf8_with_bom(app, runner, d1, tmp_path):
    text = (",".join(INVOICE_HEADER) + "\n"
            "INV-1,C001,2025-01-31,10.5,PO-Ünïcødé,JKT\n"
            "INV-2,C001,2025-01-31,10.5,\"PO, quoted\",\n"
            "INV-3,C404,2025-01-31,1,PO-3,\n")
    path = write_bytes(tmp_path / "utf8.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    _, out = run_import(runner, path)
    assert out["rejections"] == [rej(4, "Customer Code", "customer", "C404", "unknown_customer",
                                     "Customer code 'C404' does not exist for this company.")]
    check_counts(app, out)
    assert {ref: inv[3] for ref, inv in invoices(app).items()} == \
        {"INV-1": "PO-Ünïcødé", "INV-2": "PO, quoted"}


def test_csv_rows_are_line_numbers(app, runner, d1, tmp_path):
    text = (",".join(INVOICE_HEADER) + "\n"
            "\n"
            "INV-1,C001,2025-01-31,1,\"PO\nsecond line\",\n"
            "INV-2,C001,2025-99-01,1,PO-2,\n")
    _, out = run_import(runner, write_bytes(tmp_path / "lines.csv", text.encode()))
    # The blank line 2 is not a record; the quoted line break makes INV-2 line 5.
    assert out["rejections"] == [rej(5, "Invoice Date", "invoice_date", "2025-99-01",
                                     "invalid_date", date_message("2025-99-01"))]
    assert (out["rows"], out["accepted"], out["rejected"]) == (2, 1, 1)
    check_counts(app, out)
    assert invoices(app)["INV-1"][3] == "PO\nsecond line"


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_credits_csv_in_either_encoding(app, runner, d1, tmp_path, encoding):
    text = ";".join(CREDIT_HEADER) + "\r\nC001;2025-01-31;Nota débito;5\r\n"
    _, out = run_import(runner, write_bytes(tmp_path / "credits.csv", text.encode(encoding)),
                        "open_credits")
    assert (out["status"], out["accepted"]) == ("archived", 1)
    assert balances(app)["C001"] == Decimal("-5")


def test_a_balance_too_large_for_the_books_is_rejected_not_a_crash(app, runner, d1, tmp_path):
    path = invoice_file(tmp_path, [
        ["INV-1", "C001", "2025-01-31", "1234567890123456", "PO-1", None],
        ["INV-2", "C001", "2025-01-31", "999999999999999", "PO-2", None],
        ["INV-3", "C001", "2025-01-31", 1e16, "PO-3", None],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [
        rej(2, "Invoice Balance", "balance", "1234567890123456", "too_large",
            "Invoice Balance 1234567890123456 is too large: at most 15 digits before the "
            "decimal point."),
        rej(4, "Invoice Balance", "balance", "10000000000000000", "too_large",
            "Invoice Balance 10000000000000000 is too large: at most 15 digits before the "
            "decimal point."),
    ]
    check_counts(app, out)
    # (15 digits exactly: SQLite keeps numbers as floats, so no decimals at this size.)
    assert invoices(app)["INV-2"][2] == Decimal("999999999999999")


def test_boxes_too_large_for_the_books_are_rejected_not_a_crash(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "boxes.xlsx", [
        BOXES_HEADER,
        ["P001", "JKT", 3000000000, 1, "2025-01-31"],
        ["P002", "JKT", 2, 12, "2025-01-31"],
    ])
    _, out = run_import(runner, path, "inventory_boxes")
    assert out["rejections"] == [
        rej(2, "Boxes", "boxes", "3000000000", "too_large",
            "Boxes 3000000000 is too large: at most 2147483647."),
    ]
    check_counts(app, out)


def test_a_template_line_can_require_the_location_of_a_single_location_company(app, runner, d1,
                                                                              tmp_path):
    set_line(app, "D1", "open_invoices", "location", required=True)
    path = invoice_file(tmp_path, [["INV-1", "C001", "2025-01-31", 1, "PO-1", None],
                                   ["INV-2", "C001", "2025-01-31", 1, "PO-2", "JKT"]])
    _, out = run_import(runner, path)
    assert out["rejections"] == [rej(2, "Location Code", "location", None, "required",
                                     "Location Code is required.")]
    check_counts(app, out)
    assert refs(app) == ["INV-2"]


# --- a template of one's own (TPL-1) ----------------------------------------------------------

def add_template(app, org_id, name, module, lines, **attributes):
    from app.extensions import db
    from app.models import MapperTemplate, TemplateField
    with app.app_context():
        template = MapperTemplate(organization_id=org_id, module=module, name=name, **attributes)
        for position, (field, source, extra) in enumerate(lines):
            template.fields.append(TemplateField(position=position, field=field,
                                                 source_column=source, **extra))
        db.session.add(template)
        db.session.commit()


FAKTUR_LINES = [
    ("reference", "B", {"required": True, "case": "upper", "source_kind": "letter"}),
    ("customer", "Kode Pelanggan", {"required": True,
                                    "value_map": "toko makmur=C001; warung=C002"}),
    ("invoice_date", "Tanggal", {"required": True, "date_formats": "%d/%m/%Y, %d-%m-%Y"}),
    ("balance", "Saldo", {"required": True, "decimal_separator": ",",
                          "thousands_separator": "."}),
    ("customer_po", "No PO", {"required": True, "default_value": "TANPA-PO"}),
]


def test_a_template_of_ones_own_header_row_letters_defaults_and_maps(app, runner, d1, tmp_path):
    add_template(app, d1, "Faktur", "open_invoices", FAKTUR_LINES, header_row=3)
    path = xlsx(tmp_path / "faktur.xlsx", [
        ["Laporan faktur", None, None],
        [],
        ["Catatan", "No Faktur", "Kode Pelanggan", "Tanggal", "Saldo", "No PO"],
        ["x", "f-001", "Toko Makmur", "31/01/2025", "1.250,5", None],
        ["x", "f-002", "WARUNG", "01-02-2025", "3", "PO-9"],
        ["x", "f-003", "C404", "2025-02-01", "3", "PO-9"],
    ])
    _, out = run_import(runner, path, "open_invoices", "D1", "--template", "Faktur")
    assert out["rejections"] == [
        rej(6, "Kode Pelanggan", "customer", "C404", "unknown_customer",
            "Customer code 'C404' does not exist for this company."),
        rej(6, "Tanggal", "invoice_date", "2025-02-01", "invalid_date",
            "Invoice Date '2025-02-01' is not a valid date in the format DD/MM/YYYY or "
            "DD-MM-YYYY."),
    ]
    assert (out["rows"], out["accepted"], out["rejected"]) == (3, 2, 1)
    check_counts(app, out)
    assert {ref: inv[:5] for ref, inv in invoices(app).items()} == {
        "F-001": ("C001", dt.date(2025, 1, 31), Decimal("1250.5"), "TANPA-PO", None),
        "F-002": ("C002", dt.date(2025, 2, 1), Decimal("3"), "PO-9", None),
    }


def test_with_several_templates_the_default_or_the_chosen_one_reads(app, runner, d1, tmp_path):
    """Issue 17.2: the module's default template reads a file that names none; with no
    default marked, one must be chosen."""
    add_template(app, d1, "Faktur", "open_invoices", FAKTUR_LINES)
    path = invoice_file(tmp_path, [["INV-1", "C001", "2025-01-31", 1, "PO-1", None]])
    _, out = run_import(runner, path)
    assert (out["status"], out["accepted"]) == ("archived", 1)  # the default's columns
    from app.extensions import db
    from app.models import MapperTemplate
    with app.app_context():
        db.session.execute(db.update(MapperTemplate).values(is_default=False))
        db.session.commit()
    result, _ = run_import(runner, path, "open_invoices", "D1", "--force", ok=False)
    refused(result, "D1 has several templates for Open Invoices (Default Open Invoices, "
                    "Faktur) and none is its default: choose one, or ask a Template Editor "
                    "to mark the default (Mapper Templates > Make default).")
    result, _ = run_import(runner, path, "open_invoices", "D1", "--template", "Nope", ok=False)
    refused(result, "unknown template for Open Invoices in D1: Nope")
    _, out = run_import(runner, path, "open_invoices", "D1", "--template",
                        "Default Open Invoices", "--force")
    assert (out["status"], out["accepted"]) == ("archived", 1)


def test_a_template_default_that_is_not_valid_fails_the_file_clearly(app, runner, d1, tmp_path):
    set_line(app, "D1", "open_invoices", "invoice_date", default_value="tomorrow")
    path = invoice_file(tmp_path, [["INV-1", "C001", "2025-01-31", 1, "PO-1", None]])
    _, out = run_import(runner, path, ok=False)
    assert out["error"] == {
        "reason": "invalid_template",
        "message": "The template's default value for Invoice Date is not valid: Invoice Date "
                   "'tomorrow' is not a valid date in the format YYYY-MM-DD."}
    assert refs(app) == []
