"""Issue 13, faithful values: what is written is what the person sees in the file.

One test per defect (column letters, hidden sheets, number formats in text fields,
encodings, a mapped optional column that is missing, sheet names of digits), each with a
real file made here (openpyxl workbooks, CSV bytes in each encoding) imported end to end
through `muara import --wait`, asserting the exact value written or the exact warning.
"""
import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from sqlalchemy import select

from app.extensions import db
from app.models import Customer, Organization
from tests.factories import (
    INVOICE_HEADER,
    invoices,
    make_distributor,
    rej,
    run_import,
    set_line,
    set_template,
)


def workbook_file(path, build):
    """An .xlsx made by `build(workbook)`; returns its path as text."""
    wb = openpyxl.Workbook()
    build(wb)
    wb.save(path)
    return str(path)


def write(path, data):
    path.write_bytes(data)
    return str(path)


def customers(app, org="D1"):
    with app.app_context():
        return dict(db.session.execute(
            select(Customer.code, Customer.name)
            .join(Organization, Customer.organization_id == Organization.id)
            .where(Organization.code == org)).all())


# --- 1. column letters are the sheet's own columns ------------------------------------------

def test_a_letter_is_the_sheets_column_when_the_data_starts_in_column_b(app, runner, d1,
                                                                        tmp_path):
    set_line(app, "D1", "open_invoices", "customer_po", source_column="F", source_kind="letter")

    def build(wb):
        ws = wb.active
        for row in (INVOICE_HEADER, ["INV-1", "C001", "2025-01-31", 10, "PO-1", "JKT"]):
            ws.append([None, *row])  # column A stays empty: the data starts in B
    path = workbook_file(tmp_path / "from_b.xlsx", build)
    _, out = run_import(runner, path)
    assert (out["status"], out["accepted"]) == ("archived", 1), out
    # F is the sheet's sixth column (Customer PO), not the sixth column with data (Location).
    assert invoices(app)["INV-1"][3] == "PO-1"


def test_a_letter_is_never_taken_for_a_header_of_that_text(app, runner, d1, tmp_path):
    set_line(app, "D1", "open_invoices", "customer_po", source_column="A", source_kind="letter")

    def build(wb):
        ws = wb.active
        ws.append(["PO", *INVOICE_HEADER[:4], "a"])  # a header whose text is "a"
        ws.append(["PO-A", "INV-1", "C001", "2025-01-31", 10, "not this"])
    path = workbook_file(tmp_path / "letters.xlsx", build)
    _, out = run_import(runner, path)
    assert out["accepted"] == 1, out
    assert invoices(app)["INV-1"][3] == "PO-A"


def test_a_missing_letter_column_is_named_as_a_column(app, runner, d1, tmp_path):
    set_line(app, "D1", "open_invoices", "customer_po", source_column="Q", source_kind="letter")

    def build(wb):
        wb.active.append(INVOICE_HEADER)
        wb.active.append(["INV-1", "C001", "2025-01-31", 10, "PO-1", "JKT"])
    _, out = run_import(runner, workbook_file(tmp_path / "q.xlsx", build), ok=False)
    assert out["error"] == {
        "reason": "missing_column",
        "message": "The file has no column Q, which the template requires. Columns found: "
                   "'Invoice #', 'Customer Code', 'Invoice Date', 'Invoice Balance', "
                   "'Customer PO', 'Location Code'."}


# --- 2. the first visible sheet ---------------------------------------------------------------

def test_a_hidden_first_sheet_is_skipped_with_a_warning(app, runner, d1, tmp_path):
    def build(wb):
        hidden = wb.active
        hidden.title = "Old"
        hidden.sheet_state = "hidden"
        hidden.append(INVOICE_HEADER)
        hidden.append(["OLD-1", "C001", "2024-01-31", 1, "PO-OLD", "JKT"])
        visible = wb.create_sheet("Invoices")
        visible.append(INVOICE_HEADER)
        visible.append(["INV-1", "C001", "2025-01-31", 10, "PO-1", "JKT"])
    _, out = run_import(runner, workbook_file(tmp_path / "hidden.xlsx", build))
    assert sorted(invoices(app)) == ["INV-1"]
    assert out["read_as"] == {"format": "xlsx", "encoding": None, "delimiter": None,
                              "sheet": "Invoices"}
    assert out["warnings"] == [{
        "code": "hidden_sheets_skipped",
        "message": "Hidden sheet 'Old' was not read: the first visible sheet, 'Invoices', "
                   "was. Name a hidden sheet in the template to read it."}]


def test_a_hidden_sheet_named_by_the_template_is_read(app, runner, d1, tmp_path):
    set_template(app, "D1", "open_invoices", sheet="Old")

    def build(wb):
        hidden = wb.active
        hidden.title = "Old"
        hidden.sheet_state = "hidden"
        hidden.append(INVOICE_HEADER)
        hidden.append(["OLD-1", "C001", "2024-01-31", 1, "PO-OLD", "JKT"])
        wb.create_sheet("Invoices").append(INVOICE_HEADER)
    _, out = run_import(runner, workbook_file(tmp_path / "hidden.xlsx", build))
    assert sorted(invoices(app)) == ["OLD-1"]
    assert "warnings" not in out


# --- 6. sheet names of digits, positions as #N -------------------------------------------------

def test_a_sheet_named_2025_is_a_name_and_hash_2_a_position(app, runner, d1, tmp_path):
    def build(wb):
        first = wb.active
        first.title = "2024"
        first.append(INVOICE_HEADER)
        first.append(["INV-24", "C001", "2024-01-31", 1, "PO-24", "JKT"])
        second = wb.create_sheet("2025")
        second.append(INVOICE_HEADER)
        second.append(["INV-25", "C001", "2025-01-31", 1, "PO-25", "JKT"])
    path = workbook_file(tmp_path / "years.xlsx", build)
    set_template(app, "D1", "open_invoices", sheet="2025")
    _, out = run_import(runner, path)
    assert out["read_as"]["sheet"] == "2025"
    assert sorted(invoices(app)) == ["INV-25"]

    set_template(app, "D1", "open_invoices", sheet="#1")
    _, out = run_import(runner, path, "open_invoices", "D1", "--force")
    assert out["read_as"]["sheet"] == "2024"
    assert sorted(invoices(app)) == ["INV-24", "INV-25"]


def test_a_number_that_names_no_sheet_says_how_to_write_a_position(app, runner, d1, tmp_path):
    set_template(app, "D1", "open_invoices", sheet="2")

    def build(wb):
        wb.active.title = "Invoices"
        wb.create_sheet("Notes")
    _, out = run_import(runner, workbook_file(tmp_path / "two.xlsx", build), ok=False)
    assert out["error"] == {
        "reason": "sheet_missing",
        "message": "The workbook has no sheet named '2' (sheets: Invoices, Notes); for the "
                   "sheet in position 2, write #2."}


# --- 3. text fields take the text the cell shows -----------------------------------------------

def test_text_fields_take_the_text_the_cell_shows(app, runner, d1, tmp_path):
    def build(wb):
        ws = wb.active
        ws.append(INVOICE_HEADER)
        rows = [
            (123, "00000"),                    # Excel shows 00123
            (7, '"INV-"0000'),                 # INV-0007
            (0.125, "0.00%"),                  # 12.50%
            (1.5, "0.00"),                     # 1.50
            (1234567.891, "#,##0.00"),         # 1,234,567.89
            (True, None),                      # TRUE
            (dt.date(2025, 3, 4), "yyyy-mm-dd"),  # 2025-03-04
            (dt.time(13, 5), "hh:mm"),         # 13:05
            (dt.timedelta(days=1, hours=12), "[h]:mm:ss"),  # 36:00
            (123456789012345, None),           # 15 digits: exact
        ]
        for number, (value, fmt) in enumerate(rows, 1):
            ws.append([f"INV-{number}", "C001", "2025-01-31", 1, None, "JKT"])
            cell = ws.cell(row=ws.max_row, column=5, value=value)
            if fmt:
                cell.number_format = fmt
    _, out = run_import(runner, workbook_file(tmp_path / "codes.xlsx", build))
    assert out["rejections"] == [], out
    assert {ref: inv[3] for ref, inv in invoices(app).items()} == {
        "INV-1": "00123", "INV-2": "INV-0007", "INV-3": "12.50%", "INV-4": "1.50",
        "INV-5": "1,234,567.89", "INV-6": "TRUE", "INV-7": "2025-03-04", "INV-8": "13:05",
        "INV-9": "36:00", "INV-10": "123456789012345"}


def test_a_number_longer_than_excel_keeps_is_rejected_as_imprecise(app, runner, d1, tmp_path):
    def build(wb):
        ws = wb.active
        ws.append(INVOICE_HEADER)
        ws.append(["INV-1", "C001", "2025-01-31", 1, 12345678901234567890, "JKT"])
        ws.append(["INV-2", "C001", "2025-01-31", 1, "12345678901234567890", "JKT"])
    _, out = run_import(runner, workbook_file(tmp_path / "long.xlsx", build))
    assert out["rejections"] == [rej(
        2, "Customer PO", "customer_po", "12345678901234600000", "imprecise_number",
        "Customer PO: Excel keeps only 15 digits of this number: format the column as Text "
        "and type it again.")]
    # Typed as text, the twenty digits are kept as typed.
    assert invoices(app)["INV-2"][3] == "12345678901234567890"


def test_codes_formatted_with_leading_zeros_match_master_data(app, runner, tmp_path):
    make_distributor(app, customers=("00123",))

    def build(wb):
        ws = wb.active
        ws.append(INVOICE_HEADER)
        ws.append(["INV-1", 123, "2025-01-31", 1, "PO-1", "JKT"])
        ws["B2"].number_format = "00000"
    _, out = run_import(runner, workbook_file(tmp_path / "zeros.xlsx", build))
    assert (out["accepted"], out["rejections"]) == (1, [])
    assert invoices(app)["INV-1"][0] == "00123"


def test_dates_of_a_1904_workbook(app, runner, d1, tmp_path):
    def build(wb):
        wb.epoch = CALENDAR_MAC_1904
        ws = wb.active
        ws.append(INVOICE_HEADER)
        ws.append(["INV-1", "C001", dt.date(2025, 1, 31), 1, None, "JKT"])
        ws["E2"] = dt.date(2025, 2, 1)  # a date in a text field: its ISO text
        ws["E2"].number_format = "dd/mm/yyyy"
    path = workbook_file(tmp_path / "mac.xlsx", build)
    with zipfile.ZipFile(path) as package:  # really a 1904 workbook
        assert b"date1904" in package.read("xl/workbook.xml")
    _, out = run_import(runner, path)
    assert out["rejections"] == []
    assert invoices(app)["INV-1"][1:4] == (dt.date(2025, 1, 31), Decimal(1), "2025-02-01")


# --- 4. encodings ---------------------------------------------------------------------------------

# With every column the default Customers template maps, so no warning is expected.
CUSTOMER_HEADER = "Customer Code;Customer Name;Customer ID\r\n"


def test_a_windows_1250_csv_of_polish_and_czech_names(app, runner, d1, tmp_path):
    text = (CUSTOMER_HEADER + "K1;Łukasz Żółkiewski;\r\nK2;Małgorzata Wiśniewska;\r\n"
            "K3;Jiří Dvořák;\r\nK4;Řehoř Šťastný;\r\n")
    _, out = run_import(runner, write(tmp_path / "pl.csv", text.encode("cp1250")), "customers")
    assert out["read_as"] == {"format": "csv", "encoding": "Windows-1250", "delimiter": ";",
                              "sheet": None}
    assert "warnings" not in out
    assert {code: name for code, name in customers(app).items() if code.startswith("K")} == {
        "K1": "Łukasz Żółkiewski", "K2": "Małgorzata Wiśniewska", "K3": "Jiří Dvořák",
        "K4": "Řehoř Šťastný"}


def test_a_latin_1_csv_reads_right(app, runner, d1, tmp_path):
    text = CUSTOMER_HEADER + "K1;Café Mañana;\r\n"
    _, out = run_import(runner, write(tmp_path / "es.csv", text.encode("latin-1")), "customers")
    assert out["read_as"]["encoding"] == "ISO-8859-1"
    assert "warnings" not in out
    assert customers(app)["K1"] == "Café Mañana"


def test_a_windows_1252_csv_with_its_own_bytes(app, runner, d1, tmp_path):
    text = CUSTOMER_HEADER + "K1;Café “Mañana” 5€;\r\n"
    _, out = run_import(runner, write(tmp_path / "eu.csv", text.encode("cp1252")), "customers")
    assert out["read_as"]["encoding"] == "Windows-1252"
    assert customers(app)["K1"] == "Café “Mañana” 5€"


def test_the_polish_bytes_far_down_a_long_file_decide(app, runner, d1, tmp_path):
    body = "".join(f"A{n};Toko {n};\r\n" for n in range(30000))
    text = CUSTOMER_HEADER + body + "K1;Gdańsk Łódź;\r\n"
    _, out = run_import(runner, write(tmp_path / "long.csv", text.encode("cp1250")), "customers")
    assert out["read_as"]["encoding"] == "Windows-1250"
    assert customers(app)["K1"] == "Gdańsk Łódź"


def test_utf8_with_and_without_bom_and_utf16(app, runner, d1, tmp_path):
    cases = [("bom.csv", "\ufeff" + CUSTOMER_HEADER + "K1;Łódź;\r\n", "utf-8", "UTF-8"),
             ("plain.csv", CUSTOMER_HEADER + "K2;Čeněk;\r\n", "utf-8", "UTF-8"),
             ("wide.csv", CUSTOMER_HEADER + "K3;Dvořák;\r\n", "utf-16", "UTF-16")]
    for name, text, codec, label in cases:
        _, out = run_import(runner, write(tmp_path / name, text.encode(codec)), "customers")
        assert out["read_as"]["encoding"] == label, name
    assert {c: n for c, n in customers(app).items() if c.startswith("K")} == {
        "K1": "Łódź", "K2": "Čeněk", "K3": "Dvořák"}


def test_an_uncertain_guess_warns_and_the_template_can_fix_the_encoding(app, runner, d1,
                                                                         tmp_path):
    # "Crème brûlée" in Windows-1250 bytes reads as Hungarian-looking "Crčme brűlée" too:
    # both readings are words, so the guess (Western) is not certain.
    data = (CUSTOMER_HEADER + "K1;Crème brûlée;\r\n").encode("latin-1")
    _, out = run_import(runner, write(tmp_path / "fr.csv", data), "customers")
    assert out["read_as"]["encoding"] == "ISO-8859-1"
    assert out["warnings"] == [{
        "code": "uncertain_encoding",
        "message": "The file's text encoding is not certain; it was read as ISO-8859-1. If "
                   "names or accents look wrong, save the file as CSV UTF-8 (or set the "
                   "template's encoding) and upload it again."}]
    assert customers(app)["K1"] == "Crème brûlée"

    set_template(app, "D1", "customers", encoding="cp1250")
    _, out = run_import(runner, write(tmp_path / "cz.csv", data.replace(b"K1", b"K2")),
                        "customers")
    assert out["read_as"]["encoding"] == "Windows-1250"
    assert "warnings" not in out
    assert customers(app)["K2"] == "Crčme brűlée"


# --- 5. a mapped optional column that is not in the file -------------------------------------

def test_a_mapped_optional_column_missing_from_the_file_is_a_warning(app, runner, d1, tmp_path):
    data = b"Customer Code,Customer Name,CustomerID\r\nK1,Toko,ID-1\r\n"
    _, out = run_import(runner, write(tmp_path / "typo.csv", data), "customers")
    assert (out["status"], out["accepted"]) == ("archived", 1)
    assert out["warnings"] == [{
        "code": "missing_optional_column",
        "message": "The file has no column 'Customer ID' for Customer ID, so on every row it "
                   "was left empty. Columns found: 'Customer Code', 'Customer Name', "
                   "'CustomerID'."}]


def test_a_missing_required_column_is_still_a_refusal(app, runner, d1, tmp_path):
    data = b"Customer Code,Name\r\nK1,Toko\r\n"
    _, out = run_import(runner, write(tmp_path / "noname.csv", data), "customers", ok=False)
    assert out["error"]["reason"] == "missing_column"


# --- how the file was read, on the file page and in the e-mail --------------------------------

def test_the_file_page_and_the_email_say_how_the_file_was_read(app, client, runner, world,
                                                               tmp_path):
    from app.models import ImportFile
    from app.notifications import import_result_message
    from tests.conftest import login
    from tests.test_display import show_values

    make_distributor(app)
    world.user("admin", "Admin")
    data = b"Customer Code;Customer Name;CustomerID\r\nK1;Toko <b>;x\r\n"
    _, out = run_import(runner, write(tmp_path / "typo.csv", data), "customers")
    values = show_values(login(client, "admin").get(f"/imports/show/{out['import_id']}"))
    assert values["Read as"] == "CSV, UTF-8, semicolon-separated"
    assert values["Warnings"] == (
        "The file has no column 'Customer ID' for Customer ID, so on every row it was left "
        "empty. Columns found: 'Customer Code', 'Customer Name', 'CustomerID'.")
    with app.app_context():
        _subject, body = import_result_message(db.session.get(ImportFile, out["import_id"]))
    assert ("\nWarnings:\n- The file has no column 'Customer ID' for Customer ID, so on every "
            "row it was left empty.") in body


# --- the formats reader on its own ----------------------------------------------------------

def _formatted_columns(path):
    def build(wb):
        ws = wb.active
        ws.append(["E?", "AE?"])
        for row in range(2, 6):
            ws.cell(row=row, column=5, value=row).number_format = "000" if row < 4 else "0.0"
            ws.cell(row=row, column=31, value=row).number_format = "0000"
        ws["E6"] = "text"
    return workbook_file(path, build)


def test_formats_are_found_per_column_and_row(tmp_path):
    from app.importing.xlsx_styles import sheet_cell_formats
    formats = sheet_cell_formats(_formatted_columns(tmp_path / "f.xlsx"), "Sheet")
    assert [formats.code(row, 4) for row in range(2, 6)] == ["000", "000", "0.0", "0.0"]
    assert [formats.code(row, 30) for row in range(2, 6)] == ["0000"] * 4  # AE, not E
    assert formats.code(2, 0) is None


def test_formats_of_cells_without_their_reference_are_parsed(tmp_path):
    import re

    from app.importing.xlsx_styles import sheet_cell_formats

    def build(wb):
        ws = wb.active
        for row in range(1, 4):  # every cell written: without references, order places them
            ws.append(["a", "b", "c", "d", row])
            ws.cell(row=row, column=5).number_format = "00000"
    source = workbook_file(tmp_path / "full.xlsx", build)
    stripped = tmp_path / "no-refs.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(stripped, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="[A-Z]+\d+"', b"<c", data)  # r is optional on a cell
                assert b'<c r="' not in data
            new.writestr(item, data)
    formats = sheet_cell_formats(str(stripped), "Sheet")
    assert [formats.code(row, 4) for row in (1, 2, 3)] == ["00000"] * 3
    assert formats.code(1, 3) is None
