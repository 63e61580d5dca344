"""The header row and first rows of a sample file, for the template proposal (TPL-4):
the same reading as an import (format from the bytes, the guarded reader, sheet, header
row), from bytes."""
import datetime as dt
import os
import tempfile
from itertools import islice

from app.importing.detection import detect_format
from app.importing.faults import FileRejected
from app.importing.safe_read import open_guarded
from app.importing.sheets import sheet_argument

SAMPLE_FORMATS = ("xlsx", "xls", "ods", "csv")
SAMPLE_ROWS = 3  # values shown under each column of the proposal


def read_sample(content: bytes, filename: str, max_unpacked_bytes: int,
                sheet: str | int | None = None,
                header_row: int = 1) -> tuple[str, list, list]:
    """(format, header in sheet columns, the first values of each column) of a sample
    file; FileRejected when it cannot be read. `sheet` is the template's value (a name
    or "#N")."""
    fmt = detect_format(content[:64 * 1024], filename)
    if fmt not in SAMPLE_FORMATS:
        raise FileRejected("wrong_format", "The sample must be a spreadsheet (.xlsx, .xls, "
                                           ".ods) or a CSV file with a header row.")
    handle, path = tempfile.mkstemp(prefix="muara-sample-", suffix=f".{fmt}")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        table = open_guarded(path, fmt, sheet=sheet_argument(sheet), header_row=header_row,
                             max_unpacked_bytes=max_unpacked_bytes)
        header = list(table.header)
        table.show_as_text(range(len(header)))
        rows = [cells for _, cells in islice(table.rows(), SAMPLE_ROWS)]
        samples = [[_text(row[i]) for row in rows if i < len(row) and row[i] not in (None, "")]
                   for i in range(len(header))]
        return fmt, header, samples
    finally:
        os.unlink(path)


def _text(value) -> str:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
