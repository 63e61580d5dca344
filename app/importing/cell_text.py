"""The text a spreadsheet cell shows, for text fields (customer codes, PO numbers, ...).

A code typed as a number and formatted `00000` shows `00123`: that is what the person
typed and sees, so that is what a text field takes. Excel keeps 15 significant digits of a
number; a longer one (a 20-digit account number typed into a General cell) has already
lost digits in the file, so it is not guessed at: it comes back as `ImpreciseNumber`,
which the validator rejects (`imprecise_number`). Booleans show TRUE/FALSE, dates ISO
dates, times HH:MM[:SS], durations [h]:mm[:ss].

`shown_text(value, number_format)` takes the cell's Excel number format code when it is
known (xlsx: app.importing.xlsx_styles), else renders as Excel's General format.
"""
import datetime as dt
import functools
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

EXCEL_DIGITS = 15
IMPRECISE_MESSAGE = ("Excel keeps only 15 digits of this number: format the column as Text "
                     "and type it again.")
_LIMIT = 10 ** EXCEL_DIGITS


class ImpreciseNumber(str):
    """A number with more digits than Excel keeps (its 15 kept digits as text)."""


def is_imprecise(value: Any) -> bool:
    return value.__class__ is ImpreciseNumber


def imprecise_number_message(label: str) -> str:
    return f"{label}: {IMPRECISE_MESSAGE}"


def shown_text(value: Any, number_format: str | None = None) -> str:
    """The text of a cell value as the spreadsheet shows it (see the module's doc)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return _number_text(value, number_format)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return f"{value.date().isoformat()} {_clock(value.hour, value.minute, value.second)}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _clock(value.hour, value.minute, value.second)
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return sign + _clock(hours, rest // 60, rest % 60)
    return str(value)


def _clock(hours, minutes, seconds):
    return f"{hours:02}:{minutes:02}" + (f":{seconds:02}" if seconds else "")


def _number_text(value, number_format):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, float) and abs(value) >= _LIMIT:
        return ImpreciseNumber(format(Decimal(format(value, f".{EXCEL_DIGITS}g")), "f"))
    if number_format and number_format.strip().lower() not in ("general", "@", ""):
        shown = format_number(value, number_format)
        if shown is not None:
            return shown
    return _general(value)


def _general(value):
    """Excel's General format for text: integers whole, others with their 15 digits."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(format(value, f".{EXCEL_DIGITS}g")), "f")


# --- Excel number format codes ---------------------------------------------------------------

_TOKEN = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]|.', re.DOTALL)
_DATE_LETTERS = set("yYmMdDhHsS")


def _sections(code):
    parts, current = [], []
    for token in _TOKEN.findall(code):
        if token == ";":
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    return parts


def format_number(value: int | float | Decimal, code: str) -> str | None:
    """`value` formatted with the Excel format `code` (zero padding, fixed decimals,
    thousands separators, percent, scientific, literal text); None for what this does not
    render (fractions, a date format on a plain number), which then shows as General."""
    sections = _compiled(code)
    negative = value < 0
    if negative and len(sections) > 1 and sections[1] is not _EMPTY:
        section, value, sign = sections[1], -value, ""
    elif value == 0 and len(sections) > 2 and sections[2] is not _EMPTY:
        section, sign = sections[2], ""
    else:
        section, sign = sections[0], "-" if negative else ""
        value = abs(value)
    if section is None or section is _EMPTY:
        return None
    before, pattern, after, zeros_only = section
    if zeros_only and float(value).is_integer():  # "00000": the common case, kept quick
        number = str(int(value)).rjust(zeros_only, "0")
    elif not pattern:
        number = ""
    else:
        number = _digits(value, pattern)
    return sign + before + number + after


_EMPTY = ("", "", "", 0)


@functools.lru_cache(maxsize=256)
def _compiled(code):
    """Each section of a format as (text before, number pattern, text after, width when
    the pattern is only zeros), or None for a section this does not render."""
    return tuple(_compiled_section(tokens) for tokens in _sections(code))


def _compiled_section(tokens):
    if not tokens:
        return _EMPTY
    literal_before, pattern, literal_after = [], [], []
    for token in tokens:
        char = token if len(token) == 1 else None
        if char is not None and (char in "0#?.,%" or (char in "Ee+-" and pattern)):
            pattern.append(char)
            continue
        if char is not None and (char in _DATE_LETTERS or char in "/@"):
            return None  # a date, a fraction or text: not for a plain number here
        text = _literal(token)
        (literal_after if pattern else literal_before).append(text)
    if not pattern:  # only text: Excel shows the text for the number
        return "".join(literal_before), "", "", 0
    if not any(c in "0#?" for c in pattern):
        return None
    pattern = "".join(pattern)
    zeros_only = len(pattern) if set(pattern) == {"0"} else 0
    return "".join(literal_before), pattern, "".join(literal_after), zeros_only


def _literal(token):
    if token.startswith('"'):
        return token[1:-1]
    if token.startswith("\\"):
        return token[1]
    if token.startswith("_"):
        return " "
    if token.startswith(("*", "[")):
        return ""
    return token


def _digits(value, pattern):
    scale = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    percent = "%" * pattern.count("%")
    scale *= Decimal(100) ** len(percent)
    pattern = pattern.replace("%", "")
    if "E" in pattern.upper():
        return _scientific(scale, pattern) + percent
    whole, _, fraction = pattern.partition(".")
    while whole.endswith(","):  # a trailing comma divides by a thousand
        scale /= 1000
        whole = whole[:-1]
    grouping = "," in whole
    min_whole = whole.count("0")
    required = fraction.count("0")
    optional = fraction.count("#") + fraction.count("?")
    rounded = scale.quantize(Decimal(1).scaleb(-(required + optional)), rounding=ROUND_HALF_UP)
    text = format(rounded, "f")
    int_part, _, frac_part = text.partition(".")
    frac_part = frac_part.rstrip("0").ljust(required, "0") if optional else frac_part
    int_part = int_part.lstrip("0").rjust(min_whole, "0")
    if grouping and int_part:
        int_part = f"{int(int_part):,}".rjust(min_whole, "0")
    return int_part + ("." + frac_part if frac_part else "") + percent


def _scientific(value, pattern):
    mantissa, _, exponent = pattern.upper().partition("E")
    decimals = len(mantissa.partition(".")[2])
    digits, _, power = f"{value:.{decimals}E}".partition("E")
    width = max(exponent.count("0"), 1)
    sign = "-" if power.startswith("-") else "+"
    return f"{digits}E{sign}{str(abs(int(power))).rjust(width, '0')}"
