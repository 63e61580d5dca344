"""Real files from public test suites of spreadsheet and CSV libraries (issue 13):
tests/data/realworld/ (sources and licences in its README.md).

Each file goes through the readers (format detection and the guarded reader, on a stored
copy without its extension, as the job sees it) and through the whole pipeline
(`muara import --wait`, customers module) with a template mapping Customer Code and
Customer Name to two of its columns. The outcome is either the records written (first
ones checked by value) with the rejections counted, or one file-level reason.

"""
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.importing.detection import detect_format
from app.importing.faults import FileRejected
from app.importing.safe_read import open_guarded
from app.models import Customer
from tests.factories import check_counts, make_distributor, run_import, set_line

CORPUS = Path(__file__).parent / "data" / "realworld"

@dataclass
class Read:
    """A file that imports: what the reader sees, and what the import writes."""
    file: str
    sheet: str | None            # the sheet read (None: CSV)
    header: tuple                # the first header cells
    rows: int                    # records under the header, blank rows skipped
    columns: tuple               # the headers mapped to (Customer Code, Customer Name)
    status: str
    accepted: int
    rejected: int
    stored: list                 # the first customers written: (code, name)


@dataclass
class Refused:
    """A file the import refuses as a whole; `read` when the reader itself takes it (the
    template then finds no column of its own): (sheet, header, rows)."""
    file: str
    reason: str
    read: tuple | None = None


CASES = [
    Read("calamine_any_sheets.ods", "Visible", ("1", "2"), 3, ("1", "2"), "needs_attention", 2, 1,
         [("3", "4"), ("5", "6")]),
    Read("calamine_any_sheets.xls", "Visible", ("1", "2"), 3, ("1", "2"), "needs_attention", 2, 1,
         [("3", "4"), ("5", "6")]),
    Read("calamine_any_sheets.xlsx", "Visible", ("1", "2"), 3, ("1", "2"), "needs_attention", 2,
         1, [("3", "4"), ("5", "6")]),
    Read("calamine_biff5_write.xls", "SheetJS", ("1", "2"), 3, ("1", "2"), "needs_attention", 2, 1,
         [("TRUE", "FALSE"), ("foo", "bar")]),
    Read("calamine_date.ods", "Sheet1", ("2021-01-01", "15"), 3, ("15", "15"), "archived", 3, 0,
         [("16", "16"), ("17", "17"), ("18", "18")]),
    Read("calamine_date.xls", "Sheet1", ("2021-01-01", "15"), 2, ("15", "15"), "archived", 2, 0,
         [("16", "16"), ("17", "17")]),
    Read("calamine_date.xlsx", "Sheet1", ("2021-01-01", "15"), 2, ("15", "15"), "archived", 2, 0,
         [("16", "16"), ("17", "17")]),
    Read("calamine_date_1904.xls", "Sheet1", ("2021-01-01", "15"), 2, ("15", "15"), "archived", 2,
         0, [("16", "16"), ("17", "17")]),
    Read("calamine_date_1904.xlsx", "Sheet1", ("2021-01-01", "15"), 2, ("15", "15"), "archived",
         2, 0, [("16", "16"), ("17", "17")]),
    Read("calamine_encoded_entities.xlsx", "Sheet1", ("&",), 0, ("&", "&"), "archived", 0, 0, []),
    Read("calamine_inlineStr_cdata.xlsx", "Sheet1", ("Hello CDATA", "World"), 1,
         ("Hello CDATA", "World"), "archived", 1, 0, [("12345", "NormalText")]),
    Read("calamine_issues.ods", "datatypes", ("1",), 5, ("1", "1"), "archived", 5, 0,
         [("1.5", "1.5"), ("ab", "ab"), ("FALSE", "FALSE")]),
    Read("calamine_issues.xls", "datatypes", ("1",), 5, ("1", "1"), "archived", 5, 0,
         [("1.5", "1.5"), ("ab", "ab"), ("FALSE", "FALSE")]),
    Read("calamine_issues.xlsx", "datatypes", ("1",), 5, ("1", "1"), "archived", 5, 0,
         [("1.5", "1.5"), ("ab", "ab"), ("FALSE", "FALSE")]),
    Read("calamine_malformed_format.xls", "2014", ("GENNAIO", ""), 35, ("GENNAIO", "FEBBRAIO"),
         "needs_attention", 28, 7, [("1", "1"), ("2", "2")]),
    Read("calamine_merge_cells.xlsx", "Sheet1", ("Row Merge", ""), 1, ("Row Merge", "Not Merged"),
         "needs_attention", 0, 1, []),
    Read("calamine_multi-empty.ods", "Test", ("StringCol",), 5, ("StringCol", "StringCol"),
         "archived", 5, 0, [("bbb", "bbb"), ("ccc", "ccc")]),
    Read("calamine_nonstandard-xml-ns-prefix.xlsx", "Sheet1", ("a", "b"), 2, ("a", "b"),
         "archived", 2, 0, [("1", "3"), ("2", "4")]),
    Read("calamine_number_rows_repeated.ods", "Sheet1", ("A", "B"), 4, ("A", "B"),
         "needs_attention", 1, 3, [("C", "D")]),
    Read("calamine_single-empty.ods", "Test", ("StringCol",), 5, ("StringCol", "StringCol"),
         "archived", 5, 0, [("bbb", "bbb"), ("ccc", "ccc")]),
    Read("calamine_strict_iso_paths.xlsx", "ml_out", ("Item", "Thickness"), 75, ("Item", "Item"),
         "archived", 75, 0, [("150-031260-001_B", "150-031260-001_B"),
                             ("1625593500", "1625593500")]),
    Read("calamine_temperature.xlsx", "Sheet1", ("label", "value"), 2, ("label", "value"),
         "archived", 2, 0, [("celsius", "22.2222"), ("fahrenheit", "72")]),
    Read("calamine_whitespace_trim.xlsx", "inlineStr", ("trimmed value", "value with tabs"), 2,
         ("trimmed value", "trimmed value"), "archived", 2, 0,
         [("line1\nline2", "line1\nline2"), ("日期 时间", "日期 时间")]),
    Read("csvspectrum_comma_in_quotes.csv", None, ("first", "last"), 1, ("zip", "city"),
         "archived", 1, 0, [("08123", "Anytown, WW")]),
    Read("csvspectrum_empty.csv", None, ("a", "b"), 2, ("a", "b"), "needs_attention", 1, 1,
         [("2", "3")]),
    Read("csvspectrum_empty_crlf.csv", None, ("a", "b"), 2, ("a", "b"), "needs_attention", 1, 1,
         [("2", "3")]),
    Read("csvspectrum_escaped_quotes.csv", None, ("a", "b"), 2, ("a", "b"), "archived", 2, 0,
         [("1", 'ha "ha" ha'), ("3", "4")]),
    Read("csvspectrum_json.csv", None, ("key", "val"), 1, ("key", "val"), "archived", 1, 0,
         [("1", '{"type": "Point", "coordinates": [102.0, 0.5]}')]),
    Read("csvspectrum_location_coordinates.csv", None, ("Contact Phone Number",
                                                        "Location Coordinates"), 1,
         ("Contact Phone Number", "Cities"), "archived", 1, 0, [("2095257564", "Modesto")]),
    Read("csvspectrum_newlines.csv", None, ("a", "b"), 3, ("b", "a"), "archived", 3, 0,
         [("2", "1"), ("5", "Once upon \na time")]),
    Read("csvspectrum_newlines_crlf.csv", None, ("a", "b"), 3, ("b", "a"), "archived", 3, 0,
         [("2", "1"), ("5", "Once upon \na time")]),
    Read("csvspectrum_quotes_and_newlines.csv", None, ("a", "b"), 2, ("a", "b"), "archived", 2, 0,
         [("1", 'ha \n"ha" \nha'), ("3", "4")]),
    Read("csvspectrum_simple.csv", None, ("a", "b"), 1, ("a", "b"), "archived", 1, 0,
         [("1", "2")]),
    Read("csvspectrum_simple_crlf.csv", None, ("a", "b"), 1, ("a", "b"), "archived", 1, 0,
         [("1", "2")]),
    Read("csvspectrum_utf8.csv", None, ("a", "b"), 2, ("a", "c"), "archived", 2, 0,
         [("1", "3"), ("4", "ʤ")]),
    Read("xlrd_Formate.xls", "Blätt1", ("Huber", "1907-07-03"), 9, ("Huber", "Huber"),
         "archived", 9, 0, [("Äcker", "Äcker"), ("Öcker", "Öcker")]),
    Read("xlrd_issue20.xls", "Sheet1", ("aasa",), 5, ("aasa", "aasa"), "needs_attention", 2, 3,
         [("asasa", "asasa"), ("legenda", "legenda")]),
    Read("xlrd_ragged.xls", "Sheet1", ("a", "b"), 4, ("a", "b"), "needs_attention", 2, 2,
         [("d", "e"), ("g", "h")]),
    Refused("calamine_OOM_alloc3.xls", "corrupt_file"),
    Refused("calamine_any_sheets.xlsb", "not_a_spreadsheet"),
    Refused("calamine_date.xlsb", "not_a_spreadsheet"),
    Refused("calamine_date_iso.xlsx", "missing_column", ("Sheet", ("2021-01-01",), 5)),
    Refused("calamine_empty_sheet.xlsx", "empty_file"),
    Refused("calamine_header-row.xlsx", "empty_file"),  # its header is on row 3
    Refused("calamine_issue_594_dos.ods", "corrupt_file"),  # asks for 17 billion cells
    Refused("calamine_issue_666_lost_sheets.xlsb", "not_a_spreadsheet"),
    Refused("calamine_issue_666_panic.xlsb", "not_a_spreadsheet"),
    Refused("calamine_no-header.xlsx", "empty_file"),
    Refused("calamine_pass_protected.ods", "password_protected"),
    Refused("calamine_pass_protected.xlsb", "password_protected"),
    Refused("calamine_pass_protected.xlsx", "password_protected"),
    Refused("calamine_ptgexp-truncated-operand.xls", "empty_file"),  # row 1 is empty
    Refused("calamine_richtext-namespaced.xlsx", "missing_column",
            ("Sheet1", ("inline string\nLine 2\nLine 3", ""), 0)),
    Refused("calamine_rph.xlsx", "missing_column", ("Sheet1", ("課きく\u3000毛こ",), 0)),
    Refused("calamine_too_small.xls", "missing_column",  # a text file named .xls
            (None, ("Attachment f:\\attachcus\\arnold-j\\Summer trading shots.xls not found!",),
             0)),
    Refused("xlrd_biff4_no_format_no_window2.xls", "unsupported_format"),
    Refused("xlrd_sample.ods", "empty_file"),
    Refused("xlrd_sample.xlsb", "not_a_spreadsheet"),
    Refused("xlrd_sample.xlsx", "empty_file"),
]


def test_every_corpus_file_has_an_expected_outcome():
    files = {p.name for p in CORPUS.iterdir() if p.name != "README.md"}
    assert files == {case.file for case in CASES}
    assert len(files) >= 40
    readme = (CORPUS / "README.md").read_text()
    # Listed under its library by the name it has there (the prefix names the library).
    unlisted = [name for name in files if name.split("_", 1)[1] not in readme]
    assert unlisted == [], "files without their source in README.md"


def stored_copy(tmp_path, name):
    path = tmp_path / "upload"  # as the job spools it: no extension
    shutil.copyfile(CORPUS / name, path)
    return str(path)


def read(path):
    """(sheet, header, number of rows) as the job's reader sees the file."""
    with open(path, "rb") as fh:
        fmt = detect_format(fh.read(64 * 1024), "upload")
    table = open_guarded(path, fmt)
    return table.sheet_name, tuple(table.header), sum(1 for _ in table.rows())


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.file)
def test_the_reader_sees_what_the_file_holds(tmp_path, case):
    path = stored_copy(tmp_path, case.file)
    expected = (case.sheet, case.header, case.rows) if isinstance(case, Read) else case.read
    if expected is None:
        with pytest.raises(FileRejected) as caught:
            read(path)
        assert caught.value.code == case.reason
        return
    sheet, header, rows = read(path)
    assert (sheet, header[:len(expected[1])], rows) == expected


@pytest.mark.parametrize("case", [pytest.param(case, id=case.file) for case in CASES])
def test_the_import_writes_what_the_file_holds(app, runner, tmp_path, case):
    make_distributor(app, modules=("customers",), customers=())
    if isinstance(case, Read):
        code, name = case.columns
        set_line(app, "D1", "customers", "code", source_column=code)
        set_line(app, "D1", "customers", "name", source_column=name)
    _, out = run_import(runner, stored_copy(tmp_path, case.file), "customers",
                        ok=isinstance(case, Read))
    if isinstance(case, Refused):
        assert (out["status"], out["error"]["reason"]) == ("failed", case.reason)
        assert out["rows"] == out["accepted"] == 0
        return
    check_counts(app, out)
    assert (out["status"], out["accepted"], out["rejected"]) == \
        (case.status, case.accepted, case.rejected)
    with app.app_context():
        stored = dict(db.session.execute(select(Customer.code, Customer.name)).all())
    # By code: on PostgreSQL a batch is written in natural-key order (issue 14), so ids
    # need not follow the file's rows.
    assert [(code, stored.get(code)) for code, _ in case.stored] == case.stored
