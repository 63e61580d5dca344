"""Cell values to typed values: one converter per field, compiled once per job from the
field's declaration and its template line (formats, separators, value maps). A value that
does not convert raises Invalid; the validator turns it into the row's Rejection."""
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Optional

from app.importing.cell_text import imprecise_number_message, is_imprecise
from app.importing.modules import DATE, DECIMAL, INTEGER, TIME, Field

# A compiled converter: a cell's value -> the typed value (None: empty); raises Invalid.
Converter = Callable[[Any], Any]

DEFAULT_DATE_FORMATS = ("%Y-%m-%d",)
# What the record columns hold (Numeric(18, 3) and Integer): a bigger value is the row's
# problem, not a database error that stops the whole file.
MAX_INTEGER_DIGITS = 15
MAX_INTEGER = 2_147_483_647
_FORMAT_WORDS = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%y": "YY", "%b": "Mon", "%H": "HH",
                 "%M": "MI", "%S": "SS"}


@dataclass(frozen=True)
class Rejection:
    row: Optional[int]
    column: Optional[str]
    field: Optional[str]
    value: Optional[str]
    reason: str
    message: str


class Invalid(Exception):
    """Raised by a converter; turned into a Rejection by the validator."""

    def __init__(self, reason: str, message: str):
        self.reason, self.message = reason, message


def _float_decimal(value):
    """A spreadsheet number as the spreadsheet shows it: Excel keeps 15 significant digits,
    so a formula's 0.30000000000000004 is 0.3 (and has one decimal, not seventeen)."""
    return Decimal(format(value, ".15g"))


def display(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        if value == value and value not in (float("inf"), float("-inf")):
            return format(_float_decimal(value), "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _format_words(formats):
    words = []
    for fmt in formats:
        for code, word in _FORMAT_WORDS.items():
            fmt = fmt.replace(code, word)
        words.append(fmt)
    return " or ".join(words)


def _parse_value_map(text):
    mapping = {}
    for part in re.split(r"[;\n]", text or ""):
        if "=" in part:
            key, _, value = part.partition("=")
            mapping[key.strip().casefold()] = value.strip()
    return mapping


def trimmed_only(spec: Any) -> bool:
    """Text that is only trimmed (no case, no value map): the common case."""
    return spec.trim and not spec.case and not spec.value_map


def compile_text(spec: Any, fld: Field) -> Converter:
    trim, case, max_length = spec.trim, spec.case, fld.max_length
    value_map = _parse_value_map(spec.value_map)
    label = fld.header

    def too_long(text):
        return Invalid("too_long", f"{label} has {len(text)} characters; at most "
                                   f"{max_length} are allowed.")

    def general(value):
        if value is None:
            return None
        if is_imprecise(value):  # readers.Table shows text fields' cells as text
            raise Invalid("imprecise_number", imprecise_number_message(label))
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a code typed as a number in Excel
        text = value if isinstance(value, str) else str(value)
        if trim:
            text = text.strip()
        if not text:
            return None
        if case == "upper":
            text = text.upper()
        elif case == "lower":
            text = text.lower()
        if value_map:
            mapped = value_map.get(text.casefold())
            if mapped is not None:
                text = mapped
        if max_length and len(text) > max_length:
            raise too_long(text)
        return text

    if not trimmed_only(spec):
        return general

    def convert(value):
        # The common case, text cells trimmed and nothing else, without the branches.
        if value.__class__ is not str:
            return general(value)
        text = value.strip()
        if not text:
            return None
        if max_length and len(text) > max_length:
            raise too_long(text)
        return text
    return convert


def date_formats(spec: Any) -> tuple:
    return tuple(f.strip() for f in (spec.date_formats or "").split(",") if f.strip()) \
        or DEFAULT_DATE_FORMATS


def compile_date(spec: Any, fld: Field) -> Converter:
    formats = date_formats(spec)
    words = _format_words(formats)
    label = fld.header
    strptime = dt.datetime.strptime
    fromisoformat = dt.date.fromisoformat
    iso_first = "%Y-%m-%d" in formats
    date, datetime = dt.date, dt.datetime

    def convert(value):
        cls = value.__class__
        if cls is date:  # a real date cell
            return value
        if cls is str:
            text = value.strip()
            if iso_first and len(text) == 10 and text[4] == "-" and text[7] == "-":
                try:  # the common case, ten times faster than strptime
                    return fromisoformat(text)
                except ValueError:
                    pass
        elif value is None:
            return None
        elif isinstance(value, datetime):
            return value.date()
        elif isinstance(value, date):
            return value
        else:
            text = str(value).strip() if not isinstance(value, float) else display(value)
        if not text:
            return None
        for fmt in formats:
            if fmt == "%Y-%m-%d" and len(text) != 10:
                continue  # strptime would take 2025-1-31; YYYY-MM-DD means two digits each
            try:
                return strptime(text, fmt).date()
            except ValueError:
                continue
        raise Invalid("invalid_date",
                      f"{label} '{text}' is not a valid date in the format {words}.")
    return convert


def _number_text(text, decimal_sep, thousands_sep):
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if thousands_sep:
        text = text.replace(thousands_sep, "")
    if decimal_sep and decimal_sep != ".":
        text = text.replace(decimal_sep, ".")
    return text


def _finite_decimal(text):
    """The finite number a cleaned text writes, or None (not a number, NaN, Infinity)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.([0-9]*))?\Z")


def plain_number_text(spec: Any) -> bool:
    """Numbers written with a decimal point and no thousands separator."""
    return spec.decimal_separator in (None, "", ".") and not spec.thousands_separator


def compile_decimal(spec: Any, fld: Field) -> Converter:
    decimals, positive, label = fld.decimals, fld.positive, fld.header
    decimal_sep, thousands_sep = spec.decimal_separator, spec.thousands_separator
    plain_text = plain_number_text(spec)
    plain = _PLAIN_NUMBER.match

    def convert(value):
        if value is None:
            return None
        if isinstance(value, bool):
            raise Invalid("invalid_number", f"{label} '{value}' is not a number.")
        if isinstance(value, (int, float)):
            if value != value or value in (float("inf"), float("-inf")):
                raise Invalid("invalid_number", f"{label} '{value}' is not a number.")
            if isinstance(value, float):
                text = format(value, ".15g")  # as the spreadsheet shows it (_float_decimal)
                number = Decimal(text)
            else:
                text = None
                number = Decimal(value)
        else:
            if plain_text:
                text = str(value).strip()
                if " " in text or "\u00a0" in text:
                    text = _number_text(text, decimal_sep, thousands_sep)
            else:
                text = _number_text(str(value), decimal_sep, thousands_sep)
            if not text:
                return None
            number = _finite_decimal(text)
            if number is None:
                raise Invalid("invalid_number", f"{label} '{str(value).strip()}' is not a number.")
        # Fast path: a plain number that shows few enough decimals and digits is fine
        # as written; anything else takes the exact checks below.
        matched = plain(text) if text is not None else None
        exact = matched is None or (decimals is not None
                                    and matched.end(1) - matched.start(1) > decimals)
        if exact and decimals is not None:
            exponent = number.normalize().as_tuple().exponent
            if exponent < -decimals:
                raise Invalid("too_many_decimals", f"{label} {display(value)} has {-exponent} "
                                                   f"decimals; at most {decimals} are allowed.")
        if positive and number <= 0:
            raise Invalid("not_positive",
                          f"{label} must be greater than zero (got {display(value)}).")
        if exact and number and number.adjusted() >= MAX_INTEGER_DIGITS:
            raise Invalid("too_large", f"{label} {display(value)} is too large: at most "
                                       f"{MAX_INTEGER_DIGITS} digits before the decimal point.")
        return number
    return convert


def compile_integer(spec: Any, fld: Field) -> Converter:
    positive, label = fld.positive, fld.header
    decimal_sep, thousands_sep = spec.decimal_separator, spec.thousands_separator

    def convert(value):
        if value is None:
            return None
        if isinstance(value, bool):
            raise Invalid("not_whole_number", f"{label} '{value}' is not a whole number.")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = _float_decimal(value)
            if not number.is_finite() or number != number.to_integral_value():
                raise Invalid("not_whole_number",
                              f"{label} '{display(value)}' is not a whole number.")
            number = int(number)
        else:
            text = _number_text(str(value), decimal_sep, thousands_sep)
            if not text:
                return None
            number = _finite_decimal(text)
            if number is None or number != number.to_integral_value():
                raise Invalid("not_whole_number",
                              f"{label} '{str(value).strip()}' is not a whole number.")
            number = int(number)
        if positive and number <= 0:
            raise Invalid("not_positive", f"{label} must be greater than zero (got {number}).")
        if abs(number) > MAX_INTEGER:
            raise Invalid("too_large", f"{label} {number} is too large: at most {MAX_INTEGER}.")
        return number
    return convert


_TIME_TEXT = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?$")


def compile_time(spec: Any, fld: Field) -> Converter:
    """A time of day as "HH:MM": text like 9:05, 09.05 or 09:05:30, a time or datetime
    cell, or Excel's fraction of a day."""
    label = fld.header

    def convert(value):
        if value is None:
            return None
        if isinstance(value, (dt.datetime, dt.time)):
            return f"{value.hour:02d}:{value.minute:02d}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if 0 <= value < 1:
                minutes = round(value * 24 * 60)
                return f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes < 24 * 60 else "23:59"
            raise Invalid("invalid_time",
                          f"{label} '{display(value)}' is not a time of day (HH:MM).")
        text = str(value).strip()
        if not text:
            return None
        match = _TIME_TEXT.match(text)
        if match and int(match[1]) < 24 and int(match[2]) < 60 and int(match[3] or 0) < 60:
            return f"{int(match[1]):02d}:{match[2]}"
        raise Invalid("invalid_time", f"{label} '{text}' is not a time of day (HH:MM).")
    return convert


COMPILERS = {DATE: compile_date, DECIMAL: compile_decimal, INTEGER: compile_integer,
             TIME: compile_time}
