"""The header row of a sample file, for the template proposal (TPL-4): the same reading
as an import (format from the bytes, zip-bomb guard, sheet, header row), from bytes."""
import os
import tempfile

from app.importing.readers import FileRejected, check_zip_safety, detect_format, open_table
from app.importing.sheets import sheet_argument

SAMPLE_FORMATS = ("xlsx", "xls", "ods", "csv")


def read_sample_header(content: bytes, filename: str, max_unpacked_bytes: int, sheet=None,
                       header_row: int = 1) -> tuple[str, list]:
    """(format, header in sheet columns) of a sample file; FileRejected when it cannot be
    read. `sheet` is the template's value (a name or "#N")."""
    fmt = detect_format(content[:64 * 1024], filename)
    if fmt not in SAMPLE_FORMATS:
        raise FileRejected("wrong_format", "The sample must be a spreadsheet (.xlsx, .xls, "
                                           ".ods) or a CSV file with a header row.")
    handle, path = tempfile.mkstemp(prefix="muara-sample-", suffix=f".{fmt}")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        if fmt in ("xlsx", "ods"):
            check_zip_safety(path, max_unpacked_bytes)
        table = open_table(path, fmt, sheet=sheet_argument(sheet), header_row=header_row)
        return fmt, list(table.header)
    finally:
        os.unlink(path)
