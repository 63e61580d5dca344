"""Open a detected file as a Table so that no file can hurt the process reading it.

- The reader gets the file under a name with its format's extension: calamine picks its
  parser, and recognises a password, by the extension, and a stored file has none (a
  password-protected .ods was called damaged).
- xlsx and ods: the zip directory is checked first (`check_zip_safety`), then the sheet
  is read here; a reader panic (pyo3's PanicException is a BaseException, which every
  `except Exception` misses), at opening or while the rows are read, becomes one
  `FileRejected`.
- xls: read in a child process under a memory and time limit (`sandbox`).
- csv: read here; its reader is pure Python.
"""
from __future__ import annotations

import contextlib
import os
import weakref

from app.importing.detection import check_zip_safety, is_relocated_ooxml
from app.importing.faults import FileRejected
from app.importing.readers import Table, open_table
from app.importing.sandbox import ReadLimits, damaged, first_line, open_table_in_child

SANDBOXED_FORMATS = frozenset({"xls"})
ZIPPED_FORMATS = frozenset({"xlsx", "ods"})
# What a worker must still stop on: everything else a reader raises is the file's fault.
_NOT_THE_FILE = (KeyboardInterrupt, SystemExit, GeneratorExit)


def open_guarded(path: str, fmt: str, sheet: str | int | None = None, header_row: int = 1,
                 max_unpacked_bytes: int = 1024 * 1024 * 1024,
                 limits: ReadLimits | None = None, encoding: str | None = None) -> Table:
    """`readers.open_table` for a file of untrusted bytes; only `FileRejected` comes out.
    `encoding`: a CSV's encoding when the template fixes it."""
    if fmt == "csv":  # pure Python: only its opening is guarded
        return _guarded_call(open_table, fmt, path, fmt, sheet, header_row, encoding)
    if fmt in ZIPPED_FORMATS:
        check_zip_safety(path, max_unpacked_bytes)
    with _named_as(path, fmt) as name:
        typed = name.path
        if fmt in SANDBOXED_FORMATS:
            limits = limits or ReadLimits(memory_bytes=max_unpacked_bytes)
            return open_table_in_child(typed, fmt, sheet, header_row, limits)
        try:
            table = _guarded_call(open_table, fmt, typed, fmt, sheet, header_row)
        except FileRejected as fault:
            if fault.code == "corrupt_file" and fmt == "xlsx" and is_relocated_ooxml(path):
                raise FileRejected(
                    "unsupported_format",
                    "The file is an Excel workbook saved with strict ISO part names (its "
                    "parts are not under xl/), which cannot be read: open it in Excel and "
                    "save it as .xlsx (Excel Workbook).") from fault
            raise
        # The number formats of text columns are read from the package when first needed
        # (readers.Table.rows): the name stays while the table lives.
        name.keep_while(table)
    return _guard_rows(table, fmt)


def _guarded_call(function, fmt, *args):
    try:
        return function(*args)
    except FileRejected:
        raise
    except _NOT_THE_FILE:
        raise
    except BaseException as exc:  # noqa: BLE001  a reader panic (pyo3) is a BaseException
        raise damaged(fmt, first_line(exc)) from None


def _guard_rows(table: Table, fmt: str) -> Table:
    """The same Table, its rows read under the same guard (calamine can panic on a cell).
    `yield from` keeps the per-row cost at C speed."""
    records = table._records

    def guarded():
        try:
            yield from records()
        except (FileRejected, *_NOT_THE_FILE):
            raise
        except BaseException as exc:  # noqa: BLE001  as above, on a row
            raise damaged(fmt, first_line(exc)) from None

    table._records = guarded
    return table


class _TypedName:
    """A name for the stored file that ends in `.fmt` (a hard link beside it)."""

    def __init__(self, path, fmt):
        self.path, self.linked, self.kept = path, False, False
        if not path.lower().endswith("." + fmt):
            self.path = f"{path}.{fmt}"
            try:
                os.link(path, self.path)
            except OSError:
                os.symlink(os.path.abspath(path), self.path)
            self.linked = True

    def keep_while(self, table):
        if self.linked:
            self.kept = True
            weakref.finalize(table, _remove_quietly, self.path)


def _remove_quietly(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def _named_as(path, fmt):
    """`path` under a name ending in `.fmt` while in the block (or while a table kept it)."""
    name = _TypedName(path, fmt)
    try:
        yield name
    finally:
        if name.linked and not name.kept:
            _remove_quietly(name.path)
