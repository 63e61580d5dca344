"""The .xlsx files Muara hands to users: rejected rows (IMP-8) and module templates (TPL-3).

Every file is reopened with openpyxl and with python-calamine (the reader imports use);
formula-looking text must come back as text and never be stored as a formula."""
import datetime as dt
import io
import math
import re
import subprocess
import sys
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from python_calamine import CalamineWorkbook

from app.importing import workbooks
from app.importing.workbooks import (
    rejected_rows_workbook,
    safe_cell,
    safe_sheet_title,
    template_workbook,
)

ROOT = Path(__file__).resolve().parent.parent
FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://evil","x")']
INVOICE_HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance",
                  "Customer PO", "Location Code"]


# -- helpers -----------------------------------------------------------------------------

def open_xl(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def calamine_rows(data, sheet=None):
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    ws = wb.get_sheet_by_name(sheet) if sheet else wb.get_sheet_by_index(0)
    return ws.to_python(skip_empty_area=False)


def calamine_sheet_names(data):
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names


def values(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def sheet_xml(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert names
        return {n: zf.read(n).decode("utf-8") for n in names}


def assert_no_formula(data):
    for name, xml in sheet_xml(data).items():
        assert not re.search(r"<(\w+:)?f[\s>/]", xml), f"formula element in {name}"


def trim(row):
    """calamine pads rows to the sheet's width with ''."""
    row = list(row)
    while row and row[-1] in ("", None):
        row.pop()
    return row


# -- safe_cell ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", FORMULAS + ["#N/A", "#REF!", "-", "=", "@"])
def test_safe_cell_forces_text_and_keeps_the_value(text):
    cell = safe_cell(text)
    assert isinstance(cell, Cell)
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix is True


@pytest.mark.parametrize("value", [None, 0, 42, -5, 3.25, Decimal("1.005"), True, False,
                                   dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 13, 5),
                                   dt.time(8, 30), "plain", "INV-0001", "a=b", "1+1",
                                   " =leading space", "", "x\ty"])
def test_safe_cell_leaves_other_values_alone(value):
    assert safe_cell(value) is value or safe_cell(value) == value
    assert not isinstance(safe_cell(value), Cell)


def test_safe_cell_drops_characters_a_workbook_cannot_hold():
    assert safe_cell("ab\x00c\x07d\x1b") == "abcd"
    guarded = safe_cell("=\x01x")
    assert guarded.value == "=x" and guarded.data_type == "s"


def test_safe_cell_binds_to_a_write_only_sheet():
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("S")
    cell = safe_cell("=1+1", ws)
    assert cell.parent is ws and cell.data_type == "s"
    ws.append([cell, safe_cell("ok", ws), safe_cell(7, ws)])
    out = io.BytesIO()
    wb.save(out)
    assert_no_formula(out.getvalue())
    got = open_xl(out.getvalue())["S"]
    assert values(got) == [["=1+1", "ok", 7]]
    assert got["A1"].data_type == "s"


def test_safe_cell_in_a_normal_sheet():
    wb = openpyxl.Workbook()
    wb.active.append([safe_cell("+SUM(A1)"), safe_cell("-2+3")])
    out = io.BytesIO()
    wb.save(out)
    assert_no_formula(out.getvalue())
    ws = open_xl(out.getvalue()).active
    assert values(ws) == [["+SUM(A1)", "-2+3"]]
    assert ws["A1"].data_type == ws["B1"].data_type == "s"


def test_module_is_pure_python_without_flask():
    """Loaded on its own (not through the `app` package, whose factory needs Flask)."""
    path = str(ROOT / "app/importing/workbooks.py")
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('wb', {path!r})\n"
            "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
            "assert not any(m == 'flask' or m.startswith(('flask.', 'flask_'))"
            " for m in sys.modules), sorted(m for m in sys.modules if 'flask' in m)\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- rejected rows -----------------------------------------------------------------------

def sample_rejections():
    return [
        (["INV-0001", "C-404", dt.date(2024, 1, 31), 150.5, "PO-1", "JKT"],
         "Customer Code 'C-404' does not exist"),
        (["=1+1", "+SUM(A1)", dt.datetime(2024, 2, 29), "-2+3", "@cmd", "\tx"],
         "Invoice # must be at most 20 characters"),
        (["INV-0003", None, None, "abc", "", None], "-Invoice Balance: not a number"),
    ]


def test_rejected_rows_headers_values_and_reasons_openpyxl():
    data = rejected_rows_workbook(INVOICE_HEADER, sample_rejections())
    wb = open_xl(data)
    assert wb.sheetnames == ["Rejected rows"]
    ws = wb["Rejected rows"]
    rows = values(ws)
    assert rows[0] == INVOICE_HEADER + ["Reason"]
    assert rows[1] == ["INV-0001", "C-404", dt.datetime(2024, 1, 31), 150.5, "PO-1", "JKT",
                       "Customer Code 'C-404' does not exist"]
    assert rows[2] == ["=1+1", "+SUM(A1)", dt.datetime(2024, 2, 29), "-2+3", "@cmd", "\tx",
                       "Invoice # must be at most 20 characters"]
    assert rows[3] == ["INV-0003", None, None, "abc", None, None, "-Invoice Balance: not a number"]
    assert len(rows) == 4

    assert ws.freeze_panes == "A2"
    assert all(c.font.b for c in ws[1])
    assert not any(c.font.b for c in ws[2])
    assert [ws.cell(3, i).data_type for i in (1, 2, 4, 5, 6)] == ["s"] * 5
    assert ws["G4"].data_type == "s" and ws["G4"].value.startswith("-")
    # dates stay dates
    for coord in ("C2", "C3"):
        assert ws[coord].is_date and ws[coord].number_format == "yyyy-mm-dd"
    assert_no_formula(data)


def test_rejected_rows_calamine():
    data = rejected_rows_workbook(INVOICE_HEADER, sample_rejections())
    assert calamine_sheet_names(data) == ["Rejected rows"]
    rows = calamine_rows(data)
    assert rows[0] == INVOICE_HEADER + ["Reason"]
    assert rows[1] == ["INV-0001", "C-404", dt.date(2024, 1, 31), 150.5, "PO-1", "JKT",
                       "Customer Code 'C-404' does not exist"]
    assert rows[2] == ["=1+1", "+SUM(A1)", dt.date(2024, 2, 29), "-2+3", "@cmd", "\tx",
                       "Invoice # must be at most 20 characters"]
    assert rows[3] == ["INV-0003", "", "", "abc", "", "", "-Invoice Balance: not a number"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_looking_text_everywhere_stays_text(text):
    data = rejected_rows_workbook(["Plain", text], [([text, "x"], text)], sheet_title="R")
    ws = open_xl(data)["R"]
    assert values(ws) == [["Plain", text, "Reason"], [text, "x", text]]
    for coord in ("B1", "A2", "C2"):
        assert ws[coord].data_type == "s", coord
        assert ws[coord].quotePrefix, coord
    assert calamine_rows(data) == [["Plain", text, "Reason"], [text, "x", text]]
    assert_no_formula(data)


def test_excel_error_literals_stay_text():
    data = rejected_rows_workbook(["A"], [(["#N/A"], "#DIV/0!")])
    ws = open_xl(data).active
    assert (ws["A2"].value, ws["A2"].data_type) == ("#N/A", "s")
    assert (ws["B2"].value, ws["B2"].data_type) == ("#DIV/0!", "s")
    assert calamine_rows(data)[1] == ["#N/A", "#DIV/0!"]


def test_dates_round_trip():
    stamp = dt.datetime(2024, 3, 15, 14, 30, 5)
    rows = [([dt.date(1999, 12, 31), dt.datetime(2024, 1, 1), stamp], "r")]
    data = rejected_rows_workbook(["D", "DT midnight", "DT"], rows)
    ws = open_xl(data).active
    assert [c.value for c in ws[2]][:3] == [dt.datetime(1999, 12, 31), dt.datetime(2024, 1, 1),
                                            stamp]
    assert ws["A2"].number_format == ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["C2"].is_date and ws["C2"].number_format.startswith("yyyy-mm-dd")
    assert calamine_rows(data)[1] == [dt.date(1999, 12, 31), dt.date(2024, 1, 1), stamp, "r"]


def test_short_rows_are_padded_and_long_rows_keep_their_values():
    rows = [(["only one"], "short"), ([], "empty row"),
            (["a", "b", "c", None, ""], "trailing blanks"),
            (["a", "b", "c", "extra"], "long")]
    data = rejected_rows_workbook(["A", "B", "C"], rows)
    got = values(open_xl(data).active)
    assert [trim(r) for r in got] == [
        ["A", "B", "C", "Reason"],
        ["only one", None, None, "short"],
        [None, None, None, "empty row"],
        ["a", "b", "c", "trailing blanks"],
        ["a", "b", "c", "long", "extra"],
    ]
    assert [r[3] for r in calamine_rows(data)] == ["Reason", "short", "empty row",
                                                   "trailing blanks", "long"]


def test_values_excel_cannot_hold_are_made_writable():
    uid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    aware = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    rows = [([Decimal("12.345"), float("nan"), uid, aware, b"caf\xc3\xa9", True, "bad\x00char"],
             "r")]
    data = rejected_rows_workbook(list("ABCDEFG"), rows)
    got = values(open_xl(data).active)[1]
    assert got[0] == pytest.approx(12.345)
    assert got[1] == "nan"
    assert got[2] == str(uid)
    assert got[3] == dt.datetime(2024, 5, 1, 9, 0)
    assert got[4:] == ["café", True, "badchar", "r"]
    assert not any(isinstance(v, float) and math.isnan(v) for v in got)


def test_sheet_title_is_cleaned_and_rows_may_be_a_generator():
    gen = ((["v%d" % i], "reason %d" % i) for i in range(3))
    data = rejected_rows_workbook(["Col"], gen, sheet_title="Sales: Orders [2024]/Q1 rejected rows")
    wb = open_xl(data)
    assert wb.sheetnames == ["Sales Orders 2024Q1 rejected ro"]
    assert values(wb.active)[1:] == [["v0", "reason 0"], ["v1", "reason 1"], ["v2", "reason 2"]]


def test_no_rows_gives_just_the_header():
    data = rejected_rows_workbook(INVOICE_HEADER, [])
    assert calamine_rows(data) == [INVOICE_HEADER + ["Reason"]]


def test_rejected_rows_use_write_only_mode(monkeypatch):
    modes = []
    real = workbooks.Workbook

    def spy(*args, **kwargs):
        modes.append(kwargs.get("write_only", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(workbooks, "Workbook", spy)
    rejected_rows_workbook(["A"], [(["x"], "r")])
    assert modes == [True]


def test_hundred_thousand_rejected_rows():
    n = 100_000

    def rows():
        for i in range(n):
            code = "=HYPERLINK(\"x\")" if i % 1000 == 0 else f"C{i % 500:04d}"
            yield ([f"INV-{i:06d}", code, dt.date(2024, 1, 1) + dt.timedelta(days=i % 366),
                    round(i * 1.25, 2), f"PO-{i}", "JKT" if i % 2 else None],
                   f"Customer Code '{code}' does not exist")

    data = rejected_rows_workbook(INVOICE_HEADER, rows())
    got = calamine_rows(data)
    assert len(got) == n + 1
    assert got[0] == INVOICE_HEADER + ["Reason"]
    assert got[1] == ["INV-000000", '=HYPERLINK("x")', dt.date(2024, 1, 1), 0.0, "PO-0", "",
                      "Customer Code '=HYPERLINK(\"x\")' does not exist"]
    assert got[-1] == ["INV-099999", "C0499", dt.date(2024, 1, 1) + dt.timedelta(days=99999 % 366),
                       124998.75, "PO-99999", "JKT", "Customer Code 'C0499' does not exist"]
    assert_no_formula(data)


# -- templates ---------------------------------------------------------------------------

INVOICE_COLUMNS = [
    {"header": "Invoice #", "required": True, "rules": "Max. 20 characters", "example": "INV-0001"},
    {"header": "Customer Code", "required": True, "rules": "Must exist for the distributor",
     "example": "CUST-001"},
    {"header": "Invoice Date", "required": True, "rules": "YYYY-MM-DD or an Excel date",
     "example": dt.date(2024, 1, 31)},
    {"header": "Invoice Balance", "required": True, "rules": "Number, at most 3 decimals",
     "example": 1250.5},
    {"header": "Customer PO", "required": True, "rules": "Max. 20 characters",
     "example": "PO-7781"},
    {"header": "Location Code", "required": False,
     "rules": "Required when the company has several locations", "example": None},
]


def test_template_sheets_headers_and_example_openpyxl():
    data = template_workbook(INVOICE_COLUMNS, "Open Invoices")
    wb = open_xl(data)
    assert wb.sheetnames == ["Open Invoices", "Notes"]
    ws = wb["Open Invoices"]
    rows = values(ws)
    assert rows[0] == INVOICE_HEADER
    assert not any("*" in h for h in rows[0])
    assert rows[1] == ["INV-0001", "CUST-001", dt.datetime(2024, 1, 31), 1250.5, "PO-7781", None]
    assert len(rows) == 2
    assert [c.font.b for c in ws[1]] == [True] * 5 + [False]
    assert ws["C2"].is_date and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "A2"


def test_template_notes_sheet():
    data = template_workbook(INVOICE_COLUMNS, "Open Invoices")
    notes = values(open_xl(data)["Notes"])
    assert notes == [
        ["Column", "Required", "Rules"],
        ["Invoice #", "Yes", "Max. 20 characters"],
        ["Customer Code", "Yes", "Must exist for the distributor"],
        ["Invoice Date", "Yes", "YYYY-MM-DD or an Excel date"],
        ["Invoice Balance", "Yes", "Number, at most 3 decimals"],
        ["Customer PO", "Yes", "Max. 20 characters"],
        ["Location Code", "No", "Required when the company has several locations"],
    ]
    assert calamine_rows(data, "Notes") == notes


def test_template_calamine():
    data = template_workbook(INVOICE_COLUMNS, "Open Invoices")
    assert calamine_sheet_names(data) == ["Open Invoices", "Notes"]
    assert calamine_rows(data, "Open Invoices") == [
        INVOICE_HEADER, ["INV-0001", "CUST-001", dt.date(2024, 1, 31), 1250.5, "PO-7781", ""]]


def test_template_formula_looking_text_stays_text():
    columns = [{"header": "=Header", "required": True, "rules": "-5 or more", "example": "=1+1"},
               {"header": "Discount", "rules": "+SUM(A1)", "example": "-2+3"},
               {"header": "Handle", "rules": "@cmd", "example": "@cmd"},
               {"header": "Tabbed", "rules": None, "example": "\tx"}]
    data = template_workbook(columns, "Sales Order")
    wb = open_xl(data)
    ws, notes = wb["Sales Order"], wb["Notes"]
    assert values(ws) == [["=Header", "Discount", "Handle", "Tabbed"],
                          ["=1+1", "-2+3", "@cmd", "\tx"]]
    assert values(notes)[1:] == [["=Header", "Yes", "-5 or more"], ["Discount", "No", "+SUM(A1)"],
                                 ["Handle", "No", "@cmd"], ["Tabbed", "No", None]]
    for cell in list(ws[1]) + list(ws[2]) + [notes["A2"], notes["C2"], notes["C3"], notes["C4"]]:
        assert cell.data_type == "s", cell.coordinate
    assert ws["A1"].font.b and not ws["B1"].font.b
    assert calamine_rows(data, "Sales Order")[1] == ["=1+1", "-2+3", "@cmd", "\tx"]
    assert_no_formula(data)


@pytest.mark.parametrize("label, expected", [
    ("Open Invoices", "Open Invoices"),
    ("Inventory in Boxes / Stock: [Q1]?*", "Inventory in Boxes  Stock Q1"),
    ("A very long module label that goes past thirty-one", "A very long module label that g"),
    ("'Quoted'", "Quoted"),
    ("[]:*?/\\", "Template"),
    ("", "Template"),
    (None, "Template"),
    ("Notes", "Template"),
    ("history", "Template"),
])
def test_safe_sheet_title(label, expected):
    assert safe_sheet_title(label) == expected
    assert len(safe_sheet_title(label)) <= 31


def test_template_sheet_named_after_a_messy_label():
    data = template_workbook(INVOICE_COLUMNS[:1], "Customer Returns: XML/Excel [beta] edition")
    names = open_xl(data).sheetnames
    assert names == ["Customer Returns XMLExcel beta", "Notes"]
    assert calamine_sheet_names(data) == names


@pytest.mark.parametrize("columns", [
    [],
    [{"required": True}],
    [{"header": "  "}],
    [{"header": "A"}, {"header": "A"}],
])
def test_template_refuses_bad_columns(columns):
    with pytest.raises(ValueError):
        template_workbook(columns, "Product")
