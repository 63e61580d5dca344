"""Formula-safe CSV cells (OWASP "CSV Injection"), the one rule for every CSV Muara
writes and the inverse that every CSV import applies.

Writing: a cell a spreadsheet would run as a formula or a DDE command - starting with
=, +, -, @, a tab or a carriage return - gets a single quote in front ("=HYPERLINK(..)"
is written "'=HYPERLINK(..)"), which spreadsheets show as text. A plain number ("-5",
"+3.25", "-1e3") is left as it is: a spreadsheet reads it as a number, which cannot run
anything, and numbers must stay numbers. A cell that already starts with quotes before
one of those characters gets one more quote, so reading back is exact.

Reading (the import side): a cell starting with a quote followed (after any further
quotes) by one of those characters loses its first quote. Export -> import gives the
same values; an imported text that really starts with "'=" must be written "''=".
"""
import re

_RUNNABLE = re.compile(r"'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NEUTRALIZED = re.compile(r"'+[=+\-@\t\r]")


def safe_cell(value):
    """`value` as written to a CSV cell: None -> "", anything runnable quoted."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if _RUNNABLE.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values):
    return [safe_cell(value) for value in values]


def restore_cells(cells):
    """The inverse of safe_cell for a row read from a CSV file (a list of str)."""
    return [cell[1:] if cell[:1] == "'" and _NEUTRALIZED.match(cell) else cell
            for cell in cells]
