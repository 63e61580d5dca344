"""app.importing.readers: format detection, zip-bomb refusal, spreadsheet and CSV tables.

Pure unit tests on files written into tmp_path; no app, no database.
"""
import datetime as dt
import re
import zipfile

import openpyxl
import pytest

from app.importing.detection import check_zip_safety, detect_format
from app.importing.readers import FileRejected, open_table

MB = 1024 * 1024
NOT_A_SPREADSHEET = "The file is {}, not a spreadsheet or CSV file."
PASSWORD = "The workbook is password-protected: remove the password and upload it again."


def rejected(code, message):
    """pytest.raises for a FileRejected with exactly this code and message."""
    class Check:
        def __enter__(self):
            self.ctx = pytest.raises(FileRejected)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            suppressed = self.ctx.__exit__(*exc)
            assert (self.info.value.code, self.info.value.message) == (code, message)
            assert str(self.info.value) == message
            return suppressed
    return Check()


def write(path, data):
    path.write_bytes(data)
    return str(path)


def table_rows(table):
    return list(table.rows())


# --- fixtures: files ------------------------------------------------------------------------

@pytest.fixture
def orders_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Code", " Qty ", "Date", "When"])
    ws.cell(row=1, column=6).value = "   "            # trailing blank header cell: dropped
    ws.append(["A-1", 5, dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 9, 30)])
    ws.append([None, None, None, None])                # nothing written: blank row 3
    ws.append(["  B-2 ", 2.5, None, None])
    ws.cell(row=4, column=6).value = "note"            # beyond the header: cut
    ws.cell(row=5, column=1).value = "   "             # whitespace only: blank
    ws.cell(row=6, column=3).value = "C-3"
    ws.cell(row=30, column=2).value = " "              # trailing blank rows
    ws.cell(row=40, column=9).number_format = "0.00"   # a styled empty cell far away
    other = wb.create_sheet("Stock")
    other.append(["Item", "Boxes"])
    other.append(["X", True])
    path = tmp_path / "orders.xlsx"
    wb.save(path)
    return str(path)


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Visits">
<table:table-row>
 <table:table-cell office:value-type="string"><text:p>Outlet</text:p></table:table-cell>
 <table:table-cell office:value-type="string"><text:p>Visits</text:p></table:table-cell>
 <table:table-cell office:value-type="string"><text:p>Day</text:p></table:table-cell>
</table:table-row>
<table:table-row table:number-rows-repeated="2">
 <table:table-cell table:number-columns-repeated="3"/>
</table:table-row>
<table:table-row>
 <table:table-cell office:value-type="string"><text:p>Toko Maju</text:p></table:table-cell>
 <table:table-cell office:value-type="float" office:value="7"><text:p>7</text:p></table:table-cell>
 <table:table-cell office:value-type="date" office:date-value="2024-02-29">
  <text:p>29/02/24</text:p>
 </table:table-cell>
</table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""

ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


@pytest.fixture
def visits_ods(tmp_path):
    path = tmp_path / "visits.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        # LibreOffice writes no whitespace between elements, and calamine insists on that.
        zf.writestr("content.xml", re.sub(r">\s+<", "><", ODS_CONTENT),
                    compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", ODS_MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
    return str(path)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory):
    """An xlsx-looking zip whose one sheet is 50 MB of zeros (about 50 KB on disk)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    chunk = bytes(MB)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(50):
                member.write(chunk)
    return str(path)


# --- detect_format ---------------------------------------------------------------------------

def test_detects_xlsx_by_bytes_whatever_the_name(orders_xlsx):
    data = open(orders_xlsx, "rb").read()
    assert detect_format(data, "orders.csv") == "xlsx"


def test_detects_xlsx_from_a_head_cut_before_the_workbook_member(orders_xlsx):
    # openpyxl writes the worksheets before xl/workbook.xml; the zip directory is at the end.
    data = open(orders_xlsx, "rb").read()
    head = data[:data.find(b"xl/workbook.xml") - 30]
    assert b"xl/workbook.xml" not in head
    assert detect_format(head, "big.xlsx") == "xlsx"


def test_detects_ods(visits_ods):
    assert detect_format(open(visits_ods, "rb").read(), "visits") == "ods"
    assert detect_format(open(visits_ods, "rb").read()[:200], "visits") == "ods"


def test_other_zips_are_refused(tmp_path):
    docx = tmp_path / "letter.docx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<document/>")
    with rejected("not_a_spreadsheet", NOT_A_SPREADSHEET.format("a Word document")):
        detect_format(docx.read_bytes(), "letter.xlsx")

    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as zf:
        zf.writestr("a.txt", "hello")
    with rejected("not_a_spreadsheet", NOT_A_SPREADSHEET.format("a ZIP archive")):
        detect_format(photos.read_bytes(), "photos.xlsx")


def test_pdf_renamed_xlsx_is_refused():
    with rejected("not_a_spreadsheet", NOT_A_SPREADSHEET.format("a PDF document")):
        detect_format(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "invoice.xlsx")


def test_images_and_binaries_are_refused():
    with rejected("not_a_spreadsheet", NOT_A_SPREADSHEET.format("a PNG image")):
        detect_format(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "scan.csv")
    with rejected("not_a_spreadsheet", NOT_A_SPREADSHEET.format("a JPEG image")):
        detect_format(b"\xff\xd8\xff\xe0\x00\x10JFIF", "scan.xlsx")
    with rejected("not_a_spreadsheet", NOT_A_SPREADSHEET.format("a binary file")):
        detect_format(b"MZ\x90\x00\x03\x00\x00\x00", "tool.csv")


@pytest.mark.parametrize("data", [b"", b"   \r\n\t\n", b"\xef\xbb\xbf\n"])
def test_empty_files_are_refused(data):
    with rejected("empty_file", "The file is empty."):
        detect_format(data, "empty.csv")


def test_password_protected_workbook_is_refused(tmp_path):
    # An encrypted xlsx is a CFB container with an "EncryptedPackage" stream.
    fake = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
            + "EncryptionInfo".encode("utf-16-le") + bytes(50)
            + "EncryptedPackage".encode("utf-16-le") + bytes(200))
    with rejected("password_protected", PASSWORD):
        detect_format(fake, "locked.xlsx")
    # Should the marker lie beyond the head, reading it says the same.
    path = write(tmp_path / "locked.xls", fake)
    with rejected("password_protected", PASSWORD):
        open_table(path, "xls")


def test_cfb_workbook_is_xls():
    fake = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le")
    assert detect_format(fake, "old.xls") == "xls"


def test_xml_and_csv_are_told_apart():
    assert detect_format(b'\xef\xbb\xbf\r\n  <?xml version="1.0"?><Invoices/>', "a.csv") == "xml"
    assert detect_format(b"<Invoices/>", "a.txt") == "xml"
    assert detect_format(b"Code;Qty\r\nA;1\r\n", "a.xml") == "csv"
    assert detect_format("Code\tQty\r\n".encode("utf-16"), "a.txt") == "csv"


# --- zip bombs -------------------------------------------------------------------------------

def test_zip_bomb_refused_on_total_size(zip_bomb):
    message = ("The file expands to 51 MB when unpacked (limit 10 MB): "
               "refused as a possible zip bomb.")
    with rejected("zip_bomb", message):
        check_zip_safety(zip_bomb, max_uncompressed=10 * MB)


def test_zip_bomb_refused_on_ratio(zip_bomb):
    message = ("Part of the file expands more than 1000 times when unpacked "
               "(limit 200 times): refused as a possible zip bomb.")
    with rejected("zip_bomb", message):
        check_zip_safety(zip_bomb, max_uncompressed=500 * MB)


def test_ordinary_workbook_passes_zip_check(orders_xlsx):
    assert check_zip_safety(orders_xlsx, max_uncompressed=10 * MB) is None


def test_corrupt_zip(tmp_path, orders_xlsx):
    path = write(tmp_path / "broken.xlsx", open(orders_xlsx, "rb").read()[:1500])
    with pytest.raises(FileRejected) as info:
        check_zip_safety(path, max_uncompressed=10 * MB)
    assert info.value.code == "corrupt_file"
    assert info.value.message.startswith("The file is damaged: it could not be opened as a zip")
    with pytest.raises(FileRejected) as info:
        open_table(path, "xlsx")
    assert info.value.code == "corrupt_file"
    assert info.value.message.startswith("The file could not be read as xlsx: ")


# --- spreadsheets ----------------------------------------------------------------------------

def test_xlsx_header_values_and_row_numbers(orders_xlsx):
    table = open_table(orders_xlsx, "xlsx")
    assert table.header == ["Code", "Qty", "Date", "When"]
    assert table.header_row == 1
    assert table_rows(table) == [
        (2, ("A-1", 5, dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 9, 30))),
        (4, ("  B-2 ", 2.5, None, None)),
        (6, (None, None, "C-3", None)),
    ]
    assert type(table_rows(table)[0][1][2]) is dt.date
    assert table_rows(table) == table_rows(table)  # rows() can be walked again


def test_second_sheet_by_name_case_or_index(orders_xlsx):
    for sheet in ("Stock", "stock", 1):
        table = open_table(orders_xlsx, "xlsx", sheet=sheet)
        assert table.header == ["Item", "Boxes"]
        assert table_rows(table) == [(2, ("X", True))]


def test_missing_sheet_lists_the_sheets(orders_xlsx):
    message = "The workbook has no sheet named 'Sales' (sheets: Orders, Stock)."
    with rejected("sheet_missing", message):
        open_table(orders_xlsx, "xlsx", sheet="Sales")
    with rejected("sheet_missing", "The workbook has no sheet number 3 (sheets: Orders, Stock)."):
        open_table(orders_xlsx, "xlsx", sheet=2)


def test_header_row_3_with_junk_above(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "Sales report, PT Maju"
    ws["D2"] = "printed 2024-03-01"
    ws.append(["Invoice", "Amount"])
    ws.append(["INV-1", 1000])
    ws.append([])
    ws.append(["INV-2", 2000])
    path = tmp_path / "report.xlsx"
    wb.save(path)
    table = open_table(str(path), "xlsx", header_row=3)
    assert table.header == ["Invoice", "Amount"]
    assert table_rows(table) == [(4, ("INV-1", 1000)), (6, ("INV-2", 2000))]


def test_data_starting_below_row_1_keeps_sheet_rows_and_columns(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B3"], ws["C3"] = "Code", "Qty"
    ws["B4"], ws["C4"] = "A", 1
    path = tmp_path / "low.xlsx"
    wb.save(path)
    table = open_table(str(path), "xlsx", header_row=3)
    assert table.header == ["", "Code", "Qty"]  # index 0 is column A, empty as it is
    assert table_rows(table) == [(4, (None, "A", 1))]


def test_empty_sheet_or_header_row(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A3"] = "late"
    wb.create_sheet("Blank")
    path = str(tmp_path / "empty.xlsx")
    wb.save(path)
    with rejected("empty_file", "The file has no header row."):
        open_table(path, "xlsx")               # row 1 is empty
    with rejected("empty_file", "The file has no header row."):
        open_table(path, "xlsx", sheet="Blank")
    with rejected("empty_file", "The file has no header row."):
        open_table(path, "xlsx", header_row=9)


def test_ods(visits_ods):
    table = open_table(visits_ods, "ods")
    assert table.header == ["Outlet", "Visits", "Day"]
    assert table_rows(table) == [(4, ("Toko Maju", 7, dt.date(2024, 2, 29)))]


# --- CSV ------------------------------------------------------------------------------------

def test_csv_windows_1252_semicolons(tmp_path):
    text = "Kode;Nama;Jumlah\r\nC1;Café Sentosa;3\r\nC2;Crème brûlée;4\r\n"
    path = write(tmp_path / "export.csv", text.encode("cp1252"))
    assert detect_format(open(path, "rb").read(), "export.csv") == "csv"
    table = open_table(path, "csv")
    # No byte of 0x80-0x9F: Windows-1252 and Latin-1 read it alike, and it is Latin-1.
    assert (table.encoding, table.delimiter) == ("latin-1", ";")
    assert table.header == ["Kode", "Nama", "Jumlah"]
    assert table_rows(table) == [(2, ("C1", "Café Sentosa", "3")),
                                 (3, ("C2", "Crème brûlée", "4"))]


def test_csv_utf8_bom(tmp_path):
    path = write(tmp_path / "bom.csv", "\ufeffCode,Name\nA,Café\n".encode("utf-8"))
    table = open_table(path, "csv")
    assert table.header == ["Code", "Name"]
    assert table_rows(table) == [(2, ("A", "Café"))]


def test_csv_quoted_newline_and_blank_lines_keep_physical_line_numbers(tmp_path):
    text = ('Code,Note,Qty\n'
            'A,"first line\nsecond line",1\n'   # lines 2-3
            '\n'                                # line 4: blank, not counted
            ' , ,\n'                            # line 5: blank too
            'B,  plain ,2\n'                    # line 6
            'C\n'                               # line 7: short, padded
            'D,x,3,extra\n')                    # line 8: long, cut
    path = write(tmp_path / "notes.csv", text.encode())
    table = open_table(path, "csv")
    assert table.delimiter == ","
    assert table_rows(table) == [
        (2, ("A", "first line\nsecond line", "1")),
        (6, ("B", "  plain ", "2")),
        (7, ("C", None, None)),
        (8, ("D", "x", "3")),
    ]


def test_csv_rows_of_spaces_are_blank_and_a_spaced_first_cell_is_not(tmp_path):
    path = write(tmp_path / "spaces.csv", b"Code,Note,Qty\n ,  ,\t\n , x ,1\nA,b,2\n")
    assert table_rows(open_table(path, "csv")) == [(3, (" ", " x ", "1")), (4, ("A", "b", "2"))]


def test_csv_header_row_3_tab_and_pipe(tmp_path):
    path = write(tmp_path / "tab.txt", b"Report, March\n\nCode\tQty\nA\t1\n")
    table = open_table(path, "csv", header_row=3)
    assert (table.delimiter, table.header) == ("\t", ["Code", "Qty"])
    assert table_rows(table) == [(4, ("A", "1"))]

    path = write(tmp_path / "pipe.csv", b"Code|Qty|\nA|1|\n")
    table = open_table(path, "csv")
    assert (table.delimiter, table.header) == ("|", ["Code", "Qty"])
    assert table_rows(table) == [(2, ("A", "1"))]


def test_csv_utf16_from_excel_unicode_text(tmp_path):
    path = write(tmp_path / "unicode.txt", "Code\tName\r\nA\tCafé\r\n".encode("utf-16"))
    table = open_table(path, "csv")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table_rows(table) == [(2, ("A", "Café"))]


def test_csv_bytes_invalid_in_the_encoding(tmp_path):
    path = write(tmp_path / "mixed.csv", b"Code,Name\nA,ok\nB,Caf\xe9\n")
    with rejected("bad_encoding", "Line 3 is not valid UTF-8 text: save the file as CSV UTF-8 "
                                  "and upload it again."):
        table_rows(open_table(path, "csv", encoding="utf-8"))


def test_csv_in_windows_1252_whose_first_accent_comes_after_the_sample(tmp_path):
    # The first 64 KB are plain ASCII: the first bytes past ASCII decide the encoding.
    body = b"".join(b"A%d,ok\n" % i for i in range(1, 10001))
    path = write(tmp_path / "long.csv", b"Code,Name\n" + body + b"B,Caf\xe9 \x80 5\n")
    table = open_table(path, "csv")
    assert table.encoding == "cp1252"
    rows = table_rows(table)
    assert len(rows) == 10001 and rows[-1] == (10002, ("B", "Café € 5"))


def test_csv_in_windows_1250_whose_first_accents_come_after_the_sample(tmp_path):
    body = b"".join(b"A%d,ok\n" % i for i in range(1, 10001))
    polish = "B,Zając żółw świeży\nC,Łódź\n"
    path = write(tmp_path / "long.csv", b"Code,Name\n" + body + polish.encode("cp1250"))
    table = open_table(path, "csv")
    assert table.encoding == "cp1250"
    assert table_rows(table)[-2:] == [(10002, ("B", "Zając żółw świeży")),
                                      (10003, ("C", "Łódź"))]


def test_csv_in_utf8_whose_first_accent_comes_after_the_sample(tmp_path):
    body = b"".join(b"A%d,ok\n" % i for i in range(1, 10001))
    path = write(tmp_path / "long.csv", b"Code,Name\n" + body + "B,Café €\n".encode())
    table = open_table(path, "csv")
    assert table.encoding == "utf-8-sig"
    assert table_rows(table)[-1] == (10002, ("B", "Café €"))


def test_csv_invalid_bytes_after_utf8_text_name_their_line(tmp_path):
    # UTF-8 accents early, then a Windows-1252 byte further on: a mixed file, refused at
    # the line of the first byte that is not UTF-8.
    body = b"".join(b"A%d,ok\n" % i for i in range(1, 10001))
    path = write(tmp_path / "long.csv",
                 "Code,Name\nZ,Café\n".encode() + body + b"B,Caf\xe9\n")
    table = open_table(path, "csv")
    assert table.encoding == "utf-8-sig"
    with rejected("bad_encoding", "Line 10003 is not valid UTF-8 text: save the file as "
                                  "CSV UTF-8 and upload it again."):
        table_rows(table)


def test_csv_invalid_byte_in_a_quoted_multi_line_cell_names_the_record_start(tmp_path):
    # The rows before the bad record still come out first, as the file streams.
    path = write(tmp_path / "notes.csv",
                 b'Code,Note\nA,ok\nB,"two\nlines"\nC,"first\nsecond \x9d"\nD,never\n')
    table = open_table(path, "csv", encoding="cp1252")
    rows = table.rows()
    assert next(rows) == (2, ("A", "ok"))
    assert next(rows) == (3, ("B", "two\nlines"))
    with rejected("bad_encoding", "Line 5 is not valid Windows-1252 text: save the file as "
                                  "CSV UTF-8 and upload it again."):
        next(rows)


def test_csv_without_header(tmp_path):
    with rejected("empty_file", "The file has no header row."):
        open_table(write(tmp_path / "a.csv", b""), "csv")
    with rejected("empty_file", "The file has no header row."):
        open_table(write(tmp_path / "b.csv", b"\nCode,Qty\nA,1\n"), "csv")
    with rejected("empty_file", "The file has no header row."):
        open_table(write(tmp_path / "c.csv", b"Code,Qty\n"), "csv", header_row=5)
