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

import charset_normalizer
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from app.importing.detection import ENCRYPTED_PACKAGE, file_contains
from app.importing.faults import PASSWORD_MESSAGE, FileRejected
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
    (CSV) or walks calamine's in-memory sheet again (spreadsheets).
    """

    def __init__(self, header, header_row, records, *, fmt, sheet_name=None,
                 encoding=None, delimiter=None, last_row=None):
        self.header = header
        self.last_row = last_row  # the sheet's last row number, when known (progress)
        self.header_row = header_row
        self.fmt = fmt
        self.sheet_name = sheet_name
        self.encoding = encoding
        self.delimiter = delimiter
        self._records = records  # () -> iterator of (row number, raw cells) after the header

    def rows(self):
        width = len(self.header)
        for number, cells in self._records():
            # Most rows: as wide as the header, every cell filled, the first not blank.
            if len(cells) == width and "" not in cells:
                first = cells[0]
                if first.__class__ is not str or first.strip():
                    yield number, tuple(cells)
                    continue
            values = [None if cell == "" else cell for cell in cells[:width]]
            first = values[0] if values else None
            # A row whose first cell has a value is not blank: the full check is for the rest.
            if (first is None or first.__class__ is str and not first.strip()) and _is_blank(values):
                continue
            if len(values) < width:
                values.extend([None] * (width - len(values)))
            yield number, tuple(values)

    def __repr__(self):
        return f"<Table {self.fmt} header_row={self.header_row} header={self.header!r}>"


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


def open_table(path: str, fmt: str, sheet=None, header_row: int = 1,
               encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Open `path` (already detected as `fmt`) and read its header row.

    sheet: name (matched as Excel does, ignoring case) or 0-based index; default the first.
    header_row: 1-based physical row of the header; rows above it are skipped.
    encoding, delimiter: CSV only; detected when not given.
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
        raise FileRejected("password_protected", PASSWORD_MESSAGE)
    except CalamineError as exc:
        if fmt == "xls" and file_contains(path, ENCRYPTED_PACKAGE):
            raise FileRejected("password_protected", PASSWORD_MESSAGE)
        raise _unreadable(fmt, exc)
    try:
        data = _get_sheet(workbook, sheet)
    except PasswordError:
        raise FileRejected("password_protected", PASSWORD_MESSAGE)
    except CalamineError as exc:
        raise _unreadable(fmt, exc)
    finally:
        workbook.close()  # the sheet keeps its own copy of the cells

    if data.start is None:  # nothing at all on the sheet (and iter_rows would panic)
        raise FileRejected("empty_file", NO_HEADER_MESSAGE)
    # iter_rows yields from row 1 (empty lists for the empty rows above the data), so
    # the position in the iteration is the row number Excel shows.
    cells = next(itertools.islice(data.iter_rows(), header_row - 1, None), None)
    if cells is None:
        raise FileRejected("empty_file", NO_HEADER_MESSAGE)
    header = _header(cells)

    def records():
        return enumerate(itertools.islice(data.iter_rows(), header_row, None), start=header_row + 1)

    return Table(header, header_row, records, fmt=fmt, sheet_name=data.name,
                 last_row=data.height)


def _get_sheet(workbook, sheet):
    names = workbook.sheet_names
    listed = ", ".join(names)
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise FileRejected("sheet_missing",
                               f"The workbook has no sheet number {sheet + 1} (sheets: {listed}).")
        return workbook.get_sheet_by_index(sheet)
    if sheet not in names:
        # Excel treats sheet names without regard to case.
        matches = [name for name in names if name.strip().casefold() == sheet.strip().casefold()]
        if len(matches) != 1:
            raise FileRejected("sheet_missing",
                               f"The workbook has no sheet named '{sheet}' (sheets: {listed}).")
        sheet = matches[0]
    return workbook.get_sheet_by_name(sheet)


def _unreadable(fmt, exc):
    return FileRejected("corrupt_file", f"The file could not be read as {fmt}: {exc}.")



# --- CSV -----------------------------------------------------------------------------------

_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes the encoding could not decode
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ENCODING_LABELS = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16",
                    "cp1252": "Windows-1252", "cp1250": "Windows-1250", "latin-1": "ISO-8859-1"}
# Single-byte Western/Central European guesses: on a short sample charset_normalizer
# cannot tell them apart, and Excel on Windows writes Windows-1252.
_LATIN_GUESSES = {"cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_2", "iso8859_3",
                  "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14",
                  "iso8859_15", "iso8859_16", "mac_roman", "mac_latin2", "mac_iceland",
                  "mac_turkish", "cp437", "cp850", "cp858"}


def _open_csv(path, header_row, encoding, delimiter):
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_SIZE)
        whole = len(sample) < SAMPLE_SIZE or not fh.read(1)
    if encoding is None:
        encoding = _csv_encoding(sample, whole)
        if encoding == "utf-8-sig" and not whole and sample.isascii():
            # Plain ASCII says nothing about the encoding: the first bytes past it that
            # are not ASCII decide, or a Windows-1252 file whose first accent comes late
            # would fail there, after its earlier rows were written.
            later = _first_non_ascii_block(path, len(sample))
            if later is not None:
                encoding = _late_encoding(later)
    else:
        encoding = _given_encoding(encoding)
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

    return Table(header, header_row, records, fmt="csv", encoding=encoding, delimiter=delimiter)


def _given_encoding(name):
    try:
        name = codecs.lookup(name).name
    except LookupError:
        raise FileRejected("bad_encoding", f"'{name}' is not a known text encoding.")
    return "utf-8-sig" if name == "utf-8" else name


def _reads_as_utf8(data, final):
    """Whether `data` is UTF-8; unless `final`, it may stop inside a character."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
        return True
    except UnicodeDecodeError:
        return False


def _first_non_ascii_block(path, start, block_size=1 << 20):
    """The first block of the file from `start` on that holds a byte past ASCII, or None.
    Every byte before it is ASCII, so the block starts on a character boundary.
    (bytes.isascii runs at memory speed: a 100 MB file costs milliseconds.)"""
    with open(path, "rb") as fh:
        fh.seek(start)
        while block := fh.read(block_size):
            if not block.isascii():
                return block
    return None


def _late_encoding(block):
    """The encoding of a file whose first 64 KB were ASCII, from its first block past
    ASCII: UTF-8 when it reads as such, else the Windows code page (Western or Central
    European: our users' Excel) that reads it best. A few accents in a block of ASCII
    are too little for a general guess: charset_normalizer named cp1125 or big5 for a
    Windows-1252 "Café"."""
    if _reads_as_utf8(block, final=False):
        return "utf-8-sig"
    western = block.decode("cp1252", errors="replace")
    if western == block.decode("cp1250", errors="replace"):
        return "cp1252"  # the accents read the same in both (é, €, ...)
    best = charset_normalizer.from_bytes(block, cp_isolation=["cp1252", "cp1250"]).best()
    return "cp1252" if best is None else best.encoding


def _csv_encoding(sample, whole):
    if sample.startswith(_UTF16_BOMS):
        return "utf-16"
    if _reads_as_utf8(sample, final=whole):
        return "utf-8-sig"  # with or without a BOM
    best = charset_normalizer.from_bytes(sample).best()
    guess = best.encoding if best is not None else None
    if guess is None or guess in _LATIN_GUESSES:
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    if guess is None:
        raise FileRejected("bad_encoding",
                           "The file's text encoding could not be recognised: save it as "
                           "CSV UTF-8 and upload it again.")
    return guess


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
                yield first_line, restore_cells(cells)
            return
        except UnicodeDecodeError:
            pass
        except csv.Error as exc:
            raise _not_csv(last_line + 1, exc)
    # The records up to last_line were read and given out already.
    for record in _escaped_records(path, encoding, delimiter):
        if record[0] > last_line:
            yield record


def _escaped_records(path, encoding, delimiter):
    """`_csv_records` with undecodable bytes escaped, raising at the first record that has one."""
    label = _ENCODING_LABELS.get(encoding, encoding)
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
                raise _bad_encoding(first_line, label)
            except csv.Error as exc:
                raise _not_csv(first_line, exc)
            last_line = reader.line_num
            if cells and _ESCAPED.search("".join(cells)):
                raise _bad_encoding(first_line, label)
            yield first_line, restore_cells(cells)


def _not_csv(line, exc):
    return FileRejected("corrupt_file", f"Line {line} could not be read as CSV: {exc}.")


def _bad_encoding(line, label):
    return FileRejected("bad_encoding",
                        f"Line {line} is not valid {label} text: save the file as CSV UTF-8 "
                        f"and upload it again.")
