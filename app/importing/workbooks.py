"""Building .xlsx files for users: rejected rows (IMP-8) and module templates (TPL-3).

Pure Python on openpyxl, no Flask: views and jobs call these and send the bytes.

Every cell goes through :func:`safe_cell`, the guard against spreadsheet formula
injection: a text that looks like a formula (``=1+1``, ``+SUM(A1)``, ``-2+3``, ``@cmd``,
a leading tab or carriage return) is written as a text cell (``t="inlineStr"``, never an
``<f>`` element), with Excel's "quote prefix" flag set, so it shows exactly as given and
stays text even when a user edits the cell. The text itself is never changed (no added
apostrophe), so a fixed file re-imports the original values.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal
from io import BytesIO
from typing import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

__all__ = ["safe_cell", "rejected_rows_workbook", "template_workbook", "safe_sheet_title",
           "FORMULA_TRIGGERS", "REASON_HEADER", "NOTES_SHEET", "NOTES_HEADER", "DATE_FORMAT"]

#: First characters that make Excel, LibreOffice or Sheets read a typed value as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REASON_HEADER = "Reason"
NOTES_SHEET = "Notes"
NOTES_HEADER = ("Column", "Required", "Rules")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

_BOLD = Font(bold=True)
_MAX_SHEET_TITLE = 31
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_TITLES = {"history", NOTES_SHEET.casefold()}
_DEFAULT_SHEET_TITLE = "Template"
_MAX_WIDTH = 60


def _needs_text_guard(value: str) -> bool:
    """A str a spreadsheet would evaluate (formula) or turn into an error value."""
    return value.startswith(FORMULA_TRIGGERS) or value in ERROR_CODES


def safe_cell(value, sheet=None):
    """Make ``value`` safe to put into a worksheet (``ws.append`` accepts the result).

    * a str starting with ``= + - @``, a tab or a carriage return (or equal to an Excel
      error literal such as ``#N/A``) comes back as an openpyxl cell holding the very same
      text with ``data_type == "s"`` and ``quotePrefix`` set: written as a string, never as a
      formula. Pass ``sheet`` (a write-only or normal worksheet) to bind the cell to it;
      a write-only sheet needs it.
    * any other str comes back as a str, with only the control characters an .xlsx
      cannot hold (``\\x00``-``\\x08``, ``\\x0b``, ``\\x0c``, ``\\x0e``-``\\x1f``) removed;
      openpyxl writes it as a text cell anyway.
    * numbers, booleans, dates, times and ``None`` come back unchanged.
    """
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not _needs_text_guard(value):
        return value
    cell = WriteOnlyCell(sheet) if sheet is not None else Cell(None)
    cell.value = value              # openpyxl infers "f" for "=..." or "e" for "#N/A" ...
    cell.data_type = "s"            # ... so force plain text afterwards
    cell.quotePrefix = True         # Excel's leading-apostrophe flag: stays text when edited
    return cell


def _writable(value):
    """Turn a value into one openpyxl can store (before :func:`safe_cell`)."""
    if value is None or isinstance(value, (str, bool, int, Decimal)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)   # NaN/inf are no Excel number
    if isinstance(value, (_dt.datetime, _dt.time)):
        return value.replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, (_dt.date, _dt.timedelta)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _date_format(value):
    if isinstance(value, _dt.datetime):
        return DATE_FORMAT if value.time() == _dt.time(0) else DATETIME_FORMAT
    if isinstance(value, _dt.date):
        return DATE_FORMAT
    return None


def _cell(ws, value, bold=False):
    """What to append for ``value``: the plain value when openpyxl's default is right,
    a styled cell otherwise (guarded text, a date format, bold)."""
    value = safe_cell(_writable(value), ws)
    fmt = _date_format(value)
    if not bold and fmt is None:
        return value
    if not isinstance(value, Cell):
        value = WriteOnlyCell(ws, value=value)
    if fmt is not None:
        value.number_format = fmt
    if bold:
        value.font = _BOLD
    return value


def _width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, (_dt.date, _dt.datetime)):
        return 10 if _date_format(value) == DATE_FORMAT else 19
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _set_widths(ws, widths):
    for idx, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(idx)].width = min(max(width, 8) + 2, _MAX_WIDTH)


def _to_bytes(wb) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def rejected_rows_workbook(header: list[str], rows: Iterable[tuple[list, str]],
                           sheet_title: str = "Rejected rows") -> bytes:
    """The rejected rows of an import as .xlsx, ready to fix and re-upload (IMP-8).

    Row 1 is ``header + ["Reason"]`` (bold, frozen); then, per ``(values, reason)`` in
    ``rows``, the original values followed by the reason. A row shorter than the header
    is padded with empty cells so the reason always sits in the Reason column; values
    beyond the header's width (after trailing empty ones are dropped) follow the reason.
    Dates stay dates (``yyyy-mm-dd``; a datetime with a time of day keeps it). Written in
    openpyxl's write-only mode: ``rows`` may be a generator, memory stays flat.
    """
    header = list(header)
    width = len(header)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(safe_sheet_title(sheet_title, default="Rejected rows"))
    ws.freeze_panes = "A2"
    # widths must be known before the first row is streamed: use the header's
    _set_widths(ws, [_width(h) + 2 for h in header] + [40])
    ws.append([_cell(ws, h, bold=True) for h in header] + [_cell(ws, REASON_HEADER, bold=True)])

    for values, reason in rows:
        values = list(values) if values is not None else []
        extra = values[width:]
        while extra and extra[-1] in (None, ""):
            extra.pop()
        line = values[:width] + [None] * (width - len(values))
        ws.append([_cell(ws, v) for v in line] + [_cell(ws, reason)]
                  + [_cell(ws, v) for v in extra])
    return _to_bytes(wb)


def safe_sheet_title(label, default: str = _DEFAULT_SHEET_TITLE) -> str:
    """A valid Excel sheet name from a label: ``[]:*?/\\`` and control characters removed,
    no leading/trailing apostrophe or blank, at most 31 characters; ``default`` when nothing
    is left or the name is reserved ("History", or "Notes", used by the template)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", _INVALID_SHEET_CHARS.sub("", str(label or "")))
    text = text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    text = text.strip().strip("'").strip()[:_MAX_SHEET_TITLE].rstrip().rstrip("'").rstrip()
    if not text or text.casefold() in _RESERVED_SHEET_TITLES:
        return default
    return text


def template_workbook(columns: list[dict], module_label: str) -> bytes:
    """The "Download template" file of a module (TPL-3).

    ``columns``: ``[{"header": "Invoice #", "required": True, "rules": "Max. 20 characters",
    "example": "INV-0001"}, ...]`` (only ``header`` is mandatory).

    Sheet 1, named after ``module_label`` (see :func:`safe_sheet_title`): the headers exactly as
    given (required ones bold, no marker added to the text), frozen, then one example row.
    Sheet 2 "Notes": a header row Column / Required / Rules, then one row per column with
    the header, "Yes"/"No" and the rules text.
    """
    if not columns:
        raise ValueError("a template needs at least one column")
    headers = []
    for col in columns:
        header = col.get("header")
        if not isinstance(header, str) or not header.strip():
            raise ValueError(f"column without a header: {col!r}")
        if header in headers:
            raise ValueError(f"duplicate column header: {header!r}")
        headers.append(header)

    wb = Workbook()
    ws = wb.active
    ws.title = safe_sheet_title(module_label)
    ws.append([_cell(ws, col["header"], bold=bool(col.get("required"))) for col in columns])
    examples = [_writable(col.get("example")) for col in columns]
    ws.append([_cell(ws, v) for v in examples])
    ws.freeze_panes = "A2"
    _set_widths(ws, [max(_width(h) + 2, _width(e))
                     for h, e in zip(headers, examples, strict=False)])

    notes = wb.create_sheet(NOTES_SHEET)
    notes.append([_cell(notes, h, bold=True) for h in NOTES_HEADER])
    for col in columns:
        notes.append([_cell(notes, col["header"]),
                      "Yes" if col.get("required") else "No",
                      _cell(notes, col.get("rules") or None)])
    notes.freeze_panes = "A2"
    _set_widths(notes, [max([_width(h) for h in headers] + [6]), 8,
                        max([_width(c.get("rules")) for c in columns] + [5])])
    return _to_bytes(wb)
