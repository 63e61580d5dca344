"""Read uploaded files as tables of rows: xlsx, xls and ods through calamine, CSV streamed.

Pure Python (no Flask), so the job, the CLI and the tests use it alike. What a file is
(`detect_format`) and whether its zip is safe (`check_zip_safety`) are decided first, in
`app.importing.detection`.

- `open_table` reads the header and returns a `Table` whose `rows()` yields
  `(row number as a spreadsheet program shows it, values)`, blank rows skipped (SPEC IMP-4).

Anything wrong with the file as a whole raises `FileRejected` with a code and a message
meant for the person who uploaded it (ARCHITECTURE: "Exceptions are for the file").
Per-record problems are not this module's business: values come out as the file holds them.
"""
import codecs
import contextlib
import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from app.importing.cell_text import shown_text
from app.importing.detection import ENCRYPTED_PACKAGE, file_contains
from app.importing.encodings import LABELS, decide_encoding, given_encoding
from app.importing.faults import PASSWORD_MESSAGE, FileRejected
from app.importing.sheets import choose_sheet
from app.importing.xlsx_styles import NO_FORMATS, CellFormats, sheet_cell_formats

# Exports quote cells a spreadsheet would run; reading a CSV takes that quote off again.
from app.security.csv_safety import restore_cells

SAMPLE_SIZE = 64 * 1024
FORMATS = ("xlsx", "xls", "ods", "csv", "xml")
CSV_DELIMITERS = (",", ";", "\t", "|")
NO_HEADER_MESSAGE = "The file has no header row."
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


# --- tables ----------------------------------------------------------------------------------

class Table:
    """A header and the records under it.

    `rows()` may be called more than once; each call reads the file again from the start
    (CSV) or walks calamine's in-memory sheet again (spreadsheets). A spreadsheet's header
    and rows are in the sheet's own columns: index 0 is column A even when the data
    starts further right (app.importing.columns).
    """

    def __init__(self, header: list, header_row: int,
                 records: Callable[[], Iterator[tuple[int, list]]], *, fmt: str,
                 sheet_name: str | None = None, encoding: str | None = None,
                 delimiter: str | None = None, last_row: int | None = None,
                 encoding_certain: bool = True, hidden_skipped: Iterable[str] = (),
                 cell_formats: Callable[[], CellFormats] | None = None):
        self.header = header
        self.last_row = last_row  # the sheet's last row number, when known (progress)
        self.header_row = header_row
        self.fmt = fmt
        self.sheet_name = sheet_name
        self.encoding = encoding
        self.encoding_certain = encoding_certain
        self.delimiter = delimiter
        self.hidden_skipped = list(hidden_skipped)  # hidden sheets passed over
        self._records = records  # () -> iterator of (row number, raw cells) after the header
        self._cell_formats = cell_formats  # () -> CellFormats (xlsx: read when needed)
        self._text_columns = ()

    def show_as_text(self, columns: Iterable[int]) -> None:
        """Give the cells of these columns (text fields) as the text the spreadsheet
        shows: number format applied, TRUE/FALSE, ISO dates (app.importing.cell_text)."""
        if self.fmt != "csv":  # CSV cells are text already
            self._text_columns = tuple(sorted(set(columns)))

    @property
    def encoding_label(self) -> str | None:
        return LABELS.get(self.encoding, self.encoding) if self.encoding else None

    def read_as(self) -> dict:
        """How the file was read, as the file page and the `--wait` JSON say it."""
        return {"format": self.fmt, "encoding": self.encoding_label,
                "delimiter": self.delimiter, "sheet": self.sheet_name}

    def rows(self) -> Iterator[tuple[int, tuple]]:
        width = len(self.header)
        text_columns = self._text_columns
        show = _TextShower(self._cell_formats).shown if text_columns else None
        for number, cells in self._records():
            if show is not None:  # inline: this runs for every row
                size = len(cells)
                for column in text_columns:
                    if column < size and cells[column].__class__ is not str:
                        cells[column] = show(number, column, cells[column])
            # Most rows: as wide as the header, every cell filled, the first not blank.
            if len(cells) == width and "" not in cells:
                first = cells[0]
                if first.__class__ is not str or first.strip():
                    yield number, tuple(cells)
                    continue
            values = [None if cell == "" else cell for cell in cells[:width]]
            first = values[0] if values else None
            # A row whose first cell has a value is not blank: the full check is for the rest.
            if ((first is None or first.__class__ is str and not first.strip())
                    and _is_blank(values)):
                continue
            if len(values) < width:
                values.extend([None] * (width - len(values)))
            yield number, tuple(values)

    def __repr__(self):
        return f"<Table {self.fmt} header_row={self.header_row} header={self.header!r}>"


class _TextShower:
    """The shown text of a text column's cell that is not text. A column's number
    formats are read only when it first holds a number."""

    def __init__(self, cell_formats):
        self.formats = cell_formats() if cell_formats else NO_FORMATS

    def shown(self, number, column, value):
        code = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            code = self.formats.code(number, column)
        return shown_text(value, code)


def _is_blank(values):
    for value in values:
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            continue
        return False
    return True


def _header_text(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _header(cells):
    header = [_header_text(cell) for cell in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileRejected("empty_file", NO_HEADER_MESSAGE)
    return header


def open_table(path: str, fmt: str, sheet: str | int | None = None, header_row: int = 1,
               encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Open `path` (already detected as `fmt`) and read its header row.

    sheet: a name (matched as Excel does, ignoring case), a 0-based position, or None for
    the first visible sheet (app.importing.sheets).
    header_row: 1-based physical row of the header; rows above it are skipped.
    encoding, delimiter: CSV only; decided from the file when not given.
    """
    if header_row < 1:
        raise ValueError("header_row counts from 1")
    if fmt in ("xlsx", "xls", "ods"):
        return _open_workbook(path, fmt, sheet, header_row)
    if fmt == "csv":
        return _open_csv(path, header_row, encoding, delimiter)
    raise ValueError(f"open_table cannot read {fmt!r} files")


# --- spreadsheets ------------------------------------------------------------------------

def _open_workbook(path, fmt, sheet, header_row):
    try:
        workbook = CalamineWorkbook.from_path(path)
    except PasswordError:
        raise FileRejected("password_protected", PASSWORD_MESSAGE) from None
    except CalamineError as exc:
        if fmt == "xls" and file_contains(path, ENCRYPTED_PACKAGE):
            raise FileRejected("password_protected", PASSWORD_MESSAGE) from None
        raise _unreadable(fmt, exc) from None
    try:
        choice = choose_sheet(workbook, sheet)
        data = workbook.get_sheet_by_name(choice.name)
    except PasswordError:
        raise FileRejected("password_protected", PASSWORD_MESSAGE) from None
    except CalamineError as exc:
        raise _unreadable(fmt, exc) from None
    finally:
        workbook.close()  # the sheet keeps its own copy of the cells

    if data.start is None:  # nothing at all on the sheet (and iter_rows would panic)
        raise FileRejected("empty_file", NO_HEADER_MESSAGE)
    # iter_rows yields from row 1 (empty lists for the empty rows above the data), so
    # the position in the iteration is the row number Excel shows; its columns start at
    # the first one with data, so they are moved back to the sheet's own (A = 0).
    offset = data.start[1]
    cells = next(itertools.islice(data.iter_rows(), header_row - 1, None), None)
    if cells is None:
        raise FileRejected("empty_file", NO_HEADER_MESSAGE)
    header = _header([""] * offset + cells if offset else cells)

    def records():
        rows = itertools.islice(data.iter_rows(), header_row, None)
        if offset:
            pad = [""] * offset
            rows = (pad + cells for cells in rows)
        return enumerate(rows, start=header_row + 1)

    def cell_formats():
        return sheet_cell_formats(path, data.name) if fmt == "xlsx" else NO_FORMATS

    return Table(header, header_row, records, fmt=fmt, sheet_name=data.name,
                 last_row=data.height + data.start[0], hidden_skipped=choice.hidden_skipped,
                 cell_formats=cell_formats)


def _unreadable(fmt, exc):
    return FileRejected("corrupt_file", f"The file could not be read as {fmt}: {exc}.")



# --- CSV -----------------------------------------------------------------------------------

_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes the encoding could not decode
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _open_csv(path, header_row, encoding, delimiter):
    if encoding is None:
        decision = decide_encoding(path)
    else:
        try:
            decision = given_encoding(encoding)
        except LookupError:
            raise FileRejected("bad_encoding",
                               f"'{encoding}' is not a known text encoding.") from None
    encoding = decision.codec
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_SIZE)
    if delimiter is None:
        delimiter = _csv_delimiter(sample, encoding, header_row)

    def all_records():
        return _csv_records(path, encoding, delimiter)

    header = None
    with contextlib.closing(all_records()) as records_so_far:
        for number, cells in records_so_far:
            if number >= header_row:
                header = _header(cells)
                break
    if header is None:
        raise FileRejected("empty_file", NO_HEADER_MESSAGE)

    def records():
        rest = all_records()
        for number, _cells in rest:
            if number >= header_row:
                break
        return rest

    return Table(header, header_row, records, fmt="csv", encoding=encoding, delimiter=delimiter,
                 encoding_certain=decision.certain)


def _csv_delimiter(sample, encoding, header_row):
    text = sample.decode(encoding, errors="replace")
    lines = _LINE_BREAK.split(text, maxsplit=header_row)
    if len(lines) < header_row:
        return ","
    line = lines[header_row - 1]
    best, best_count = ",", 1
    for candidate in CSV_DELIMITERS:
        count = len(next(csv.reader([line], delimiter=candidate), []))
        if count > best_count:
            best, best_count = candidate, count
    return best


def _csv_records(path, encoding, delimiter):
    """(physical line number where the record starts, fields) for every record, blank included.

    Decodes strictly, which costs nothing per record. A byte the encoding cannot decode
    fails a whole chunk of text ahead of its record, so then the rest is read again with
    such bytes escaped (`_escaped_records`) to name the line of the first one."""
    with open(path, "rb") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding=encoding, newline=""),
                            delimiter=delimiter)
        last_line = 0
        try:
            for cells in reader:
                first_line = last_line + 1
                last_line = reader.line_num
                # Only a row with a quote somewhere can have a cell to restore: one C-level
                # join and search instead of a Python step per cell of every row.
                yield first_line, restore_cells(cells) if "'" in "".join(cells) else cells
            return
        except UnicodeDecodeError:
            pass
        except csv.Error as exc:
            raise _not_csv(last_line + 1, exc) from None
    # The records up to last_line were read and given out already.
    for record in _escaped_records(path, encoding, delimiter):
        if record[0] > last_line:
            yield record


def _escaped_records(path, encoding, delimiter):
    """`_csv_records` with undecodable bytes escaped, raising at the first record that has one."""
    label = LABELS.get(encoding, encoding)
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        last_line = 0
        while True:
            first_line = last_line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise _bad_encoding(first_line, label) from None
            except csv.Error as exc:
                raise _not_csv(first_line, exc) from None
            last_line = reader.line_num
            if cells and _ESCAPED.search("".join(cells)):
                raise _bad_encoding(first_line, label) from None
            yield first_line, restore_cells(cells)


def _not_csv(line, exc):
    return FileRejected("corrupt_file", f"Line {line} could not be read as CSV: {exc}.")


def _bad_encoding(line, label):
    return FileRejected("bad_encoding",
                        f"Line {line} is not valid {label} text: save the file as CSV UTF-8 "
                        f"and upload it again.")
