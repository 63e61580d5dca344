"""More bad input through the import job (`muara import --wait`), each with its exact
outcome and nothing lost or half-written:

- CSV in UTF-8 with a byte order mark and ';' separators, with and without the template's
  decimal comma, for open invoices and open credits;
- a zip bomb refused with the DEFAULT limits by its compression ratio alone (a real .xlsx
  whose sheet XML is ~30 MB of one repeated row, ~100 KB compressed), before parsing.

A real password-protected .xlsx is not built here: that needs an encryptor (e.g.
msoffcrypto-tool), which is not installed; test_import_job.py checks the reason on the
compound-file signature.
"""
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl

from tests.factories import (
    CREDIT_HEADER,
    INVOICE_HEADER,
    MB,
    balances,
    check_counts,
    counts,
    invoices,
    rej,
    run_import,
    set_line,
    write_bytes,
)

BOM = b"\xef\xbb\xbf"


def utf8_bom_csv(tmp_path, name, header, rows):
    text = "".join(";".join(cells) + "\r\n" for cells in [header, *rows])
    return write_bytes(tmp_path / name, BOM + text.encode("utf-8"))


# --- CSV: UTF-8 with BOM, ';' separators -------------------------------------------------------

def test_csv_utf8_bom_semicolons_and_decimal_comma(app, runner, d1, tmp_path):
    set_line(app, "D1", "open_invoices", "balance", decimal_separator=",")
    path = utf8_bom_csv(tmp_path, "bom.csv", INVOICE_HEADER, [
        ["INV-1", "C001", "2025-01-31", "1250,5", "PO-Ωμέγα", "JKT"],   # not in any code page
        ["INV-2", "C002", "2025-02-01", "0,125", '"PO; quoted"', ""],
        ["INV-3", "C001", "2025-02-01", "1,2345", "PO-3", ""],
        ["INV-4", "C001", "2025-02-02", "7", "PO-€", ""],
    ])
    _, out = run_import(runner, path)
    # The BOM is not part of the first header ("Invoice #" is found), ';' splits, quotes keep
    # a ';' inside a value, and the decimal comma is read as the template says.
    assert out["rejections"] == [rej(4, "Invoice Balance", "balance", "1,2345",
                                     "too_many_decimals",
                                     "Invoice Balance 1,2345 has 4 decimals; at most 3 are "
                                     "allowed.")]
    assert (out["status"], out["rows"], out["accepted"], out["rejected"]) == \
        ("needs_attention", 4, 3, 1)
    check_counts(app, out)
    assert invoices(app) == {
        "INV-1": ("C001", dt.date(2025, 1, 31), Decimal("1250.5"), "PO-Ωμέγα", "JKT",
                  "No Carrier", [("Additional Charge", Decimal("1250.5"))]),
        "INV-2": ("C002", dt.date(2025, 2, 1), Decimal("0.125"), "PO; quoted", None,
                  "No Carrier", [("Additional Charge", Decimal("0.125"))]),
        "INV-4": ("C001", dt.date(2025, 2, 2), Decimal("7"), "PO-€", None,
                  "No Carrier", [("Additional Charge", Decimal("7"))]),
    }


def test_csv_utf8_bom_semicolons_without_a_decimal_comma_in_the_template(app, runner, d1,
                                                                          tmp_path):
    """The same kind of file, but the template keeps the decimal point: "1250,5" is not a
    number, "10.5" is."""
    path = utf8_bom_csv(tmp_path, "bom_point.csv", INVOICE_HEADER, [
        ["INV-1", "C001", "2025-01-31", "1250,5", "PO-1", ""],
        ["INV-2", "C002", "2025-01-31", "10.5", "PO-Ünï", ""],
    ])
    _, out = run_import(runner, path)
    assert out["rejections"] == [rej(2, "Invoice Balance", "balance", "1250,5",
                                     "invalid_number", "Invoice Balance '1250,5' is not a "
                                                       "number.")]
    assert (out["rows"], out["accepted"], out["rejected"]) == (2, 1, 1)
    check_counts(app, out)
    assert {ref: (inv[2], inv[3]) for ref, inv in invoices(app).items()} == \
        {"INV-2": (Decimal("10.5"), "PO-Ünï")}


def test_credits_csv_utf8_bom_semicolons_and_decimal_comma(app, runner, d1, tmp_path):
    set_line(app, "D1", "open_credits", "amount", decimal_separator=",")
    path = utf8_bom_csv(tmp_path, "credits.csv", CREDIT_HEADER, [
        ["C001", "2025-02-01", "CR-Ä1", "30,5"],
        ["C002", "2025-02-01", "CR-2", "0,25"],
        ["C001", "2025-02-01", "CR-3", "-1,5"],
    ])
    _, out = run_import(runner, path, "open_credits")
    assert [(r["row"], r["column"], r["value"], r["reason"]) for r in out["rejections"]] == \
        [(4, "Amount", "-1,5", "not_positive")]
    assert (out["rows"], out["accepted"], out["rejected"]) == (3, 2, 1)
    check_counts(app, out)
    assert counts(app)["credits"] == 2
    # Each credit lowers its customer's balance (no invoices yet).
    assert balances(app) == {"C001": Decimal("-30.5"), "C002": Decimal("-0.25")}


# --- zip bomb by compression ratio, with the default limits ----------------------------------

ROW = b'<row><c t="inlineStr"><is><t>INV-1</t></is></c></row>'


def ratio_bomb(path):
    """A real workbook (openpyxl) whose sheet1.xml is replaced by ~30 MB of one repeated row:
    far under the 1024 MB total limit, but each byte stored stands for hundreds unpacked."""
    book = openpyxl.Workbook()
    book.active.append(INVOICE_HEADER)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as source, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, _, _ = data.partition(b"<sheetData")
                data = (head + b"<sheetData>" + ROW * (30 * MB // len(ROW))
                        + b"</sheetData></worksheet>")
            bomb.writestr(info.filename, data)
    return str(path)


def test_zip_bomb_refused_by_its_ratio_with_the_default_limits(app, runner, d1, tmp_path,
                                                               monkeypatch):
    assert app.config["MAX_UNPACKED_MB"] == 1024  # the default: no limit lowered for the test

    def must_not_parse(*args, **kwargs):
        raise AssertionError("a zip bomb must be refused before it is parsed")
    monkeypatch.setattr("app.importing.safe_read.open_table", must_not_parse)

    path = ratio_bomb(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path) as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
        total = sum(info.file_size for info in zf.infolist())
    ratio = sheet.file_size / sheet.compress_size
    assert total < 1024 * MB and sheet.file_size > 30 * MB - len(ROW)
    assert 200 < ratio < 1000, ratio  # over the default ratio limit, well under 1000
    assert (tmp_path / "bomb.xlsx").stat().st_size < MB

    before = counts(app)
    _, out = run_import(runner, path, ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {
        "reason": "zip_bomb",
        "message": f"Part of the file expands {ratio:.0f} times when unpacked (limit 200 "
                   f"times): refused as a possible zip bomb."}
    assert (out["rows"], out["accepted"], out["rejected"], out["rejections"]) == (0, 0, 0, [])
    check_counts(app, out)
    # The upload is kept (IMP-3), nothing else was written.
    assert counts(app) == {**before, "imports": before["imports"] + 1}
    assert invoices(app) == {}
