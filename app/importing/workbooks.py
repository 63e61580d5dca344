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
from itertools import zip_longest
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["safe_cell", "rejected_rows_workbook", "template_workbook", "safe_sheet_title",
           "FORMULA_TRIGGERS", "REASON_HEADER", "NOTES_SHEET", "NOTES_HEADER", "NOTES_WORDS",
           "DATE_FORMAT",
           "LISTS_SHEET", "LAST_ROW", "rule_for"]

#: First characters that make Excel, LibreOffice or Sheets read a typed value as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REASON_HEADER = "Reason"
NOTES_SHEET = "Notes"
LISTS_SHEET = "Lists"  # hidden: the codes of the drop-down lists
NOTES_HEADER = ("Column", "Required", "Rules")
# The Notes sheet's own words (its name, header row, Yes and No) in English; a screen
# passes them in the reader's language (issue 16).
NOTES_WORDS = {"sheet": NOTES_SHEET, "header": NOTES_HEADER, "yes": "Yes", "no": "No"}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"

_BOLD = Font(bold=True)
_MAX_SHEET_TITLE = 31
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_TITLES = {"history", NOTES_SHEET.casefold(), "catatan", LISTS_SHEET.casefold()}
_DEFAULT_SHEET_TITLE = "Template"
_MAX_WIDTH = 60


def _needs_text_guard(value: str) -> bool:
    """A str a spreadsheet would evaluate (formula) or turn into an error value."""
    return value.startswith(FORMULA_TRIGGERS) or value in ERROR_CODES


def safe_cell(value: Any, sheet: Any = None) -> Any:
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


def safe_sheet_title(label: object, default: str = _DEFAULT_SHEET_TITLE) -> str:
    """A valid Excel sheet name from a label: ``[]:*?/\\`` and control characters removed,
    no leading/trailing apostrophe or blank, at most 31 characters; ``default`` when nothing
    is left or the name is reserved ("History", or "Notes", used by the template)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", _INVALID_SHEET_CHARS.sub("", str(label or "")))
    text = text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    text = text.strip().strip("'").strip()[:_MAX_SHEET_TITLE].rstrip().rstrip("'").rstrip()
    if not text or text.casefold() in _RESERVED_SHEET_TITLES:
        return default
    return text


def template_workbook(columns: list[dict], module_label: str,
                      code_lists: dict | None = None, header_row: int = 1,
                      notes_words: dict | None = None) -> bytes:
    """The "Download template" file of a module (TPL-3) or of a mapper template.

    ``columns``: ``[{"header": "Invoice #", "required": True, "rules": "Max. 20 characters",
    "example": "INV-0001", "type": "text", "max_length": 20, "lookup": None, ...}, ...]``
    (only ``header`` is mandatory; ``Module.template_columns()`` gives them all).
    ``code_lists``: the organization's codes per kind (``{"customer": [...]}``) for the
    drop-down lists; ``header_row``: the row of the headers (rows above stay empty);
    ``notes_words``: the Notes sheet's words in the reader's language (``NOTES_WORDS``).

    Sheet 1, named after ``module_label`` (see :func:`safe_sheet_title`): the headers exactly as
    given (required ones bold, no marker added to the text), frozen, then one example row.
    Sheet 2 "Notes": a header row Column / Required / Rules, then one row per column with
    the header, "Yes"/"No" and the rules text.
    Sheet 3 "Lists" (hidden, only when there are codes): the codes of each looked-up kind.
    The first sheet carries each column's Excel data validation (app.importing.workbook_rules)
    from the row below the headers down.
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
    for _ in range(header_row - 1):
        ws.append([])
    ws.append([_cell(ws, col["header"], bold=bool(col.get("required"))) for col in columns])
    examples = [_writable(col.get("example")) for col in columns]
    ws.append([_cell(ws, v) for v in examples])
    ws.freeze_panes = "A2"
    _set_widths(ws, [max(_width(h) + 2, _width(e))
                     for h, e in zip(headers, examples, strict=False)])

    words = notes_words or NOTES_WORDS
    notes = wb.create_sheet(words["sheet"])
    notes.append([_cell(notes, h, bold=True) for h in words["header"]])
    for col in columns:
        notes.append([_cell(notes, col["header"]),
                      words["yes"] if col.get("required") else words["no"],
                      _cell(notes, col.get("rules") or None)])
    notes.freeze_panes = "A2"
    _set_widths(notes, [max([_width(h) for h in headers] + [6]), 8,
                        max([_width(c.get("rules")) for c in columns] + [5])])
    add_rules(ws, columns, _code_sheet(wb, columns, code_lists or {}), first_row=header_row + 1)
    return _to_bytes(wb)


def _code_sheet(wb, columns, code_lists) -> dict:
    """The hidden sheet of codes the drop-down lists refer to: one column per kind, a
    title row, then the codes. Returns {kind: the range of its codes}."""
    kinds = lookup_kinds(columns, code_lists)
    if not kinds:
        return {}
    sheet = wb.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    lists = [list(code_lists[kind]) for kind in kinds]
    sheet.append([f"{kind.capitalize()} codes" for kind in kinds])
    for row in zip_longest(*lists):
        sheet.append([safe_cell(_writable(code)) for code in row])
    return {kind: list_range(index, len(codes))
            for index, (kind, codes) in enumerate(zip(kinds, lists, strict=True), 1)}


# --- Excel data validation of a template file (issue 19.4) -------------------------------
#
# The rules of each column as Excel checks them while the user types, so a file filled in
# the template passes the import's validation wherever Excel's did:
# * a looked-up code (customer, product, location, principal) is a drop-down list: the
#   codes are on a hidden sheet ("Lists"), one column per kind, and the rule refers to
#   that range (Excel's inline list holds 255 characters; a range any number);
# * a whole number, a decimal (at most N decimals, below 10^15 as the import's numbers),
#   a date or a time of day: Excel's rule of that kind with the import's bounds; the column
#   is formatted as a date or time so what is typed is stored as one;
# * a text: at most its maximum length, the column formatted as Text, so a code typed with
#   digits ("007") stays text as the import reads it;
# * every rule shows an input message with the column's rules (the Notes sheet's text).
#
# The field types of app.importing.modules (this module imports nothing of the app, so it
# loads without Flask; tests/test_workbook_rules.py checks they agree).
TEXT, DATE, DECIMAL, INTEGER, TIME = "text", "date", "decimal", "integer", "time"
LAST_ROW = 1_048_576            # Excel's last row: the rule covers the whole column
MAX_WHOLE = 2_147_483_647       # app.importing.values.MAX_INTEGER
MAX_DIGITS = 15                 # app.importing.values.MAX_INTEGER_DIGITS
_TITLE_LIMIT = 32               # Excel's limits on a rule's titles and messages
_MESSAGE_LIMIT = 255
TIME_FORMAT = "hh:mm"
TEXT_FORMAT = "@"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def rule_for(column: dict, letter: str, first_row: int,
             list_range: str | None) -> DataValidation | None:
    """The DataValidation of one column (its cells from ``first_row`` down), or None
    when the column has no rule Excel can check. ``list_range``: the range of its codes
    on the hidden sheet, for a looked-up column."""
    kind = column.get("type") or TEXT
    cell = f"{letter}{first_row}"
    if column.get("lookup") and list_range:
        rule = DataValidation(type="list", formula1=list_range)
    elif kind == INTEGER:
        low = 1 if column.get("positive") else -MAX_WHOLE
        rule = DataValidation(type="whole", operator="between", formula1=str(low),
                              formula2=str(MAX_WHOLE))
    elif kind == DECIMAL:
        checks = [f"ISNUMBER({cell})", f"ABS(ROUND({cell},0))<1E+{MAX_DIGITS}"]
        if column.get("decimals") is not None:
            checks.append(f"ROUND({cell},{column['decimals']})={cell}")
        if column.get("positive"):
            checks.append(f"{cell}>0")
        rule = DataValidation(type="custom", formula1=f"AND({','.join(checks)})")
    elif kind == DATE:
        rule = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                              formula2="DATE(9999,12,31)")
    elif kind == TIME:
        rule = DataValidation(type="time", operator="between", formula1="TIME(0,0,0)",
                              formula2="TIME(23,59,59)")
    elif column.get("max_length") and column.get("required"):
        # not only blanks: the import trims a text, and a required one left empty is refused
        visible = f'TRIM(CLEAN(SUBSTITUTE({cell},CHAR(160)," ")))'
        rule = DataValidation(type="custom",
                              formula1=f"AND(LEN({cell})<={column['max_length']},"
                                       f"LEN({visible})>0)")
    elif column.get("max_length"):
        rule = DataValidation(type="textLength", operator="lessThanOrEqual",
                              formula1=str(column["max_length"]))
    else:
        return None
    rule.allow_blank = True   # an empty cell is the import's "required" check, as before
    rules_text = column.get("rules") or ""
    rule.promptTitle = _clip(column["header"], _TITLE_LIMIT)
    rule.prompt = _clip(rules_text, _MESSAGE_LIMIT)
    rule.showInputMessage = True
    rule.errorTitle = _clip(f"{column['header']}: not allowed", _TITLE_LIMIT)
    rule.error = _clip(rules_text or "This value is not allowed here.", _MESSAGE_LIMIT)
    rule.errorStyle = "stop"
    rule.showErrorMessage = True
    return rule


_FORMATS = {DATE: DATE_FORMAT, TIME: TIME_FORMAT, TEXT: TEXT_FORMAT}


def lookup_kinds(columns: list[dict], code_lists: dict) -> list[str]:
    """The kinds of code (in column order, once each) that get a drop-down list: those
    looked up by a column and of which the organization has codes."""
    kinds = []
    for column in columns:
        kind = column.get("lookup")
        if kind and kind not in kinds and code_lists.get(kind):
            kinds.append(kind)
    return kinds


def list_range(index: int, count: int) -> str:
    """The absolute range of ``count`` codes in column ``index`` (from 1) of the hidden
    sheet, below its title row."""
    letter = get_column_letter(index)
    return f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${count + 1}"


def add_rules(ws: Worksheet, columns: list[dict], ranges: dict, first_row: int = 2) -> None:
    """Add each column's validation to ``ws`` (a normal-mode worksheet), from
    ``first_row`` to Excel's last row; ``ranges``: {kind: range of its codes}."""
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        kind = column.get("type") or TEXT
        rule = rule_for(column, letter, first_row, ranges.get(column.get("lookup")))
        if rule is None:
            continue
        rule.add(f"{letter}{first_row}:{letter}{LAST_ROW}")
        ws.add_data_validation(rule)
        number_format = _FORMATS.get(kind)
        if number_format:
            ws.column_dimensions[letter].number_format = number_format
