"""How dates, numbers and times read in the request's language and time zone (issue 16).

Indonesian: 05/11/2026, 1.234,56, 14:30 WIB. English: 2026-11-05, 1,234.56, 14:30 WIB.
Amounts keep the decimals they were given and no more: a balance stored as 150000.500
reads 150.000,5. Stored timestamps are UTC (naive); they are shown in the organization's
time zone with the zone's name. Outside a request (the CLI, the REST API) nothing here is
used: they keep ISO values.
"""
import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import has_request_context
from flask_babel import get_locale, get_timezone

from app.services import localtime

DATE_PATTERNS = {"id": "%d/%m/%Y", "en": "%Y-%m-%d"}
# Plenty of places after the point: the value's own digits decide (no rounding).
NUMBER_FORMAT = "#,##0.##########"


def language():
    locale = get_locale()
    return locale.language if locale is not None else "en"


def date_text(value: dt.date) -> str:
    return value.strftime(DATE_PATTERNS.get(language(), DATE_PATTERNS["en"]))


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored (UTC) timestamp in the request's time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(_zone())


def _zone():
    """The viewer's organization's zone in a request, else the portal's (TIME_ZONE)."""
    if has_request_context():
        zone = get_timezone()
        if zone is not None:
            return ZoneInfo(str(zone))
    return localtime.zone()


def zone_now() -> str:
    """The name of the request's time zone now (WIB, WITA; else its offset, +07)."""
    return local_time(dt.datetime.now(dt.timezone.utc)).tzname()


def datetime_text(value: dt.datetime, seconds=False) -> str:
    local = local_time(value)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{date_text(local.date())} {clock} {local.tzname()}"


def number_text(value) -> str:
    """A Decimal or float with its own decimals (trailing zeros dropped), grouped the
    language's way."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        value = value.normalize()
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return format_decimal(value, format=NUMBER_FORMAT, locale=get_locale() or "en",
                          decimal_quantization=False)


_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?\s*$")


def parse_date_text(text: str) -> dt.date | None:
    """A date typed into a filter or a form: the shown Indonesian form (05/11/2026, day
    first, whatever the language: Muara never shows month-first dates) or ISO
    (2026-11-05). None when it is neither or no such day."""
    for pattern, order in ((_ISO, (0, 1, 2)), (_DAY_FIRST, (2, 1, 0))):
        match = pattern.match(text or "")
        if match:
            parts = [int(match.group(i + 1)) for i in range(3)]
            year, month, day = (parts[i] for i in order)
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None
