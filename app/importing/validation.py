"""Rows to records: map a table's columns through a template, convert and validate every
value. Per-record problems are data (Rejection), never exceptions; a file that cannot be
mapped at all raises FileRejected.

Converters are compiled once per job into small closures so the per-row loop stays lean.
"""
import datetime as dt
import re
from dataclasses import dataclass, field as dc_field
from decimal import Decimal, InvalidOperation
from typing import Optional

from app.importing.modules import DATE, DECIMAL, INTEGER, TIME, WHEN_MULTI_LOCATION, Module
from app.importing.readers import FileRejected
from app.importing.seen_keys import SeenKeys

DEFAULT_DATE_FORMATS = ("%Y-%m-%d",)
# What the record columns hold (Numeric(18, 3) and Integer): a bigger value is the row's
# problem, not a database error that stops the whole file.
MAX_INTEGER_DIGITS = 15
MAX_INTEGER = 2_147_483_647
_FORMAT_WORDS = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%y": "YY", "%b": "Mon", "%H": "HH",
                 "%M": "MI", "%S": "SS"}
_COLUMN_LETTERS = re.compile(r"^[A-Z]{1,3}$")


@dataclass
class LineSpec:
    """One template line (see app.models.templates.TemplateField)."""
    field: str
    source_column: Optional[str] = None
    required: bool = False
    default_value: Optional[str] = None
    trim: bool = True
    case: Optional[str] = None
    date_formats: Optional[str] = None
    decimal_separator: Optional[str] = None
    thousands_separator: Optional[str] = None
    value_map: Optional[str] = None


@dataclass
class TemplateSpec:
    module: str
    lines: list
    sheet: Optional[str] = None
    header_row: int = 1
    file_format: Optional[str] = None
    all_or_nothing: bool = False
    name: str = "default"


def default_template(module: Module) -> TemplateSpec:
    """The module's documented columns, one line per field (TPL-3)."""
    return TemplateSpec(module.name, [
        LineSpec(field=f.name, source_column=f.header, required=f.required is True)
        for f in module.fields])


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

    def __init__(self, reason, message):
        self.reason, self.message = reason, message


def normalise_header(text):
    return " ".join(str(text).split()).casefold()


def column_letter_index(letters):
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - 64)
    return index - 1


def resolve_column(header, source):
    """Index of `source` (header text, else a column letter like "C") in `header`."""
    wanted = normalise_header(source)
    for index, text in enumerate(header):
        if normalise_header(text) == wanted:
            return index
    stripped = source.strip()
    if _COLUMN_LETTERS.match(stripped):
        index = column_letter_index(stripped)
        if index < len(header):
            return index
    return None


def _float_decimal(value):
    """A spreadsheet number as the spreadsheet shows it: Excel keeps 15 significant digits,
    so a formula's 0.30000000000000004 is 0.3 (and has one decimal, not seventeen)."""
    return Decimal(format(value, ".15g"))


def _display(value):
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


def compile_text(spec, fld):
    trim, case, max_length = spec.trim, spec.case, fld.max_length
    value_map = _parse_value_map(spec.value_map)
    label = fld.header

    def too_long(text):
        return Invalid("too_long", f"{label} has {len(text)} characters; at most "
                                   f"{max_length} are allowed.")

    def general(value):
        if value is None:
            return None
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

    if case or value_map or not trim:
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
    convert.inline = ("text", max_length)
    return convert


def compile_date(spec, fld):
    formats = tuple(f.strip() for f in (spec.date_formats or "").split(",") if f.strip()) \
        or DEFAULT_DATE_FORMATS
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
            text = str(value).strip() if not isinstance(value, float) else _display(value)
        if not text:
            return None
        for fmt in formats:
            try:
                return strptime(text, fmt).date()
            except ValueError:
                continue
        raise Invalid("invalid_date", f"{label} '{text}' is not a valid date in the format {words}.")
    if iso_first:
        convert.inline = ("iso_date",)
    return convert


def _number_text(text, decimal_sep, thousands_sep):
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if thousands_sep:
        text = text.replace(thousands_sep, "")
    if decimal_sep and decimal_sep != ".":
        text = text.replace(decimal_sep, ".")
    return text


_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.([0-9]*))?\Z")


def compile_decimal(spec, fld):
    decimals, positive, label = fld.decimals, fld.positive, fld.header
    decimal_sep, thousands_sep = spec.decimal_separator, spec.thousands_separator
    plain_text = decimal_sep in (None, "", ".") and not thousands_sep
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
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise Invalid("invalid_number", f"{label} '{str(value).strip()}' is not a number.") from None
            if not number.is_finite():
                raise Invalid("invalid_number", f"{label} '{str(value).strip()}' is not a number.")
        # Fast path: a plain number that shows few enough decimals and digits is fine
        # as written; anything else takes the exact checks below.
        matched = plain(text) if text is not None else None
        exact = matched is None or (decimals is not None
                                    and matched.end(1) - matched.start(1) > decimals)
        if exact and decimals is not None:
            exponent = number.normalize().as_tuple().exponent
            if exponent < -decimals:
                raise Invalid("too_many_decimals", f"{label} {_display(value)} has {-exponent} "
                                                   f"decimals; at most {decimals} are allowed.")
        if positive and number <= 0:
            raise Invalid("not_positive", f"{label} must be greater than zero (got {_display(value)}).")
        if exact and number and number.adjusted() >= MAX_INTEGER_DIGITS:
            raise Invalid("too_large", f"{label} {_display(value)} is too large: at most "
                                       f"{MAX_INTEGER_DIGITS} digits before the decimal point.")
        return number
    if plain_text:
        convert.inline = ("plain_decimal", decimals, positive)
    return convert


def compile_integer(spec, fld):
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
                raise Invalid("not_whole_number", f"{label} '{_display(value)}' is not a whole number.")
            number = int(number)
        else:
            text = _number_text(str(value), decimal_sep, thousands_sep)
            if not text:
                return None
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or number != number.to_integral_value():
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


def compile_time(spec, fld):
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
            raise Invalid("invalid_time", f"{label} '{_display(value)}' is not a time of day (HH:MM).")
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


@dataclass
class CompiledField:
    name: str
    label: str  # the column header in the file (or the field's header when unmapped)
    index: Optional[int]
    convert: object
    required: bool
    default: object
    lookup: Optional[str]
    lookup_table: dict = dc_field(default_factory=dict)
    slot: int = 0  # where the value goes in the record
    id_slot: Optional[int] = None  # where the looked-up id goes


def record_layout(module):
    """Positions in a record (a list): each field's value in declaration order, then the
    id of each looked-up field as `<field>_id`. Writers pick their columns by these names."""
    names = [f.name for f in module.fields] + [f.name + "_id" for f in module.fields if f.lookup]
    return {name: index for index, name in enumerate(names)}


class RowValidator:
    """Validates the rows of one file: built once per job, then called per row.

    A valid row becomes a record: a list laid out by `self.layout` (record_layout), not a
    dict, so writers take their columns with one C-level pick per row."""

    def __init__(self, module, template, header, lookups, multi_location, expected_rows=0,
                 optional_fields=()):
        """`optional_fields`: required fields whose presence is checked elsewhere (a
        document's header and line fields, app.importing.staging); their columns must
        still exist."""
        self.module = module
        self.multi_location = multi_location
        self.key_fields = module.natural_key
        self.layout = record_layout(module)
        self.seen = SeenKeys(expected_rows)  # natural key -> first row number
        self.fields = []
        self.deferred_required = set()  # required fields of optional_fields
        lines = {line.field: line for line in template.lines}
        missing = []
        for fld in module.fields:
            line = lines.get(fld.name)
            required = (fld.required is True or (line is not None and line.required)
                        or (fld.required == WHEN_MULTI_LOCATION and multi_location))
            index = None
            source = line.source_column if line else None
            if source:
                index = resolve_column(header, source)
            has_default = bool(line and line.default_value not in (None, ""))
            if index is None and required and not has_default:
                missing.append((source or fld.header, fld.header))
                continue
            spec = line or LineSpec(field=fld.name)
            convert = COMPILERS.get(fld.type, compile_text)(spec, fld)
            try:
                default = convert(spec.default_value) if has_default else None
            except Invalid as invalid:
                raise FileRejected("invalid_template",
                                   f"The template's default value for {fld.header} is not "
                                   f"valid: {invalid.message}") from None
            label = header[index] if index is not None else (source or fld.header)
            if required and fld.name in optional_fields:
                self.deferred_required.add(fld.name)
            self.fields.append(CompiledField(
                fld.name, label, index, convert, required and fld.name not in optional_fields,
                default, fld.lookup, lookups.get(fld.lookup, {}) if fld.lookup else {},
                self.layout[fld.name], self.layout.get(fld.name + "_id")))
        if missing:
            names = ", ".join(f"'{src}'" for src, _ in missing)
            found = ", ".join(f"'{h}'" for h in header if h) or "none"
            raise FileRejected("missing_column",
                               f"The file has no column {names}, which the template "
                               f"requires. Columns found: {found}.")
        self._key_slots = [self.layout[name] for name in self.key_fields]
        self._width = len(self.layout)
        self.validate = _generate_validate(self)

    def compiled(self, name):
        return next((f for f in self.fields if f.name == name), None)

    def as_dict(self, record):
        """A record as {field name: value} (and `<field>_id`), for code off the hot path."""
        return {name: record[slot] for name, slot in self.layout.items()}

    def validate(self, row_number, values):
        """(record or None, [Rejection]) for one row: replaced per instance by the
        function _generate_validate writes for this template."""
        raise NotImplementedError

    def _required(self, row_number, fld):
        reason_text = f"{fld.label} is required."
        if (self.multi_location and fld.name == "location"
                and self.module.field("location").required == WHEN_MULTI_LOCATION):
            reason_text = f"{fld.label} is required for a multi-location company."
        return Rejection(row_number, fld.label, fld.name, None, "required", reason_text)

    def _duplicate(self, row_number, key, first):
        shown = " / ".join(str(part) for part in (key if isinstance(key, tuple) else (key,)))
        labels = " + ".join(self.module.field(name).header for name in self.key_fields)
        column = next((f.label for f in self.fields if f.name == self.key_fields[0]), None)
        return Rejection(row_number, column, ",".join(self.key_fields), shown,
                         "duplicate_in_file",
                         f"{labels} '{shown}' appears more than once in the file: "
                         f"first on row {first}; this row was not imported.")


# --- the per-row function, written once per template ----------------------------------
#
# validate() runs once per row of files of a million rows. A loop over the fields, each
# through its converter, spent more time on the loop than on the checks, so the function
# is written out per template (as collections.namedtuple writes its class): one block
# per field, and for the usual cell (trimmed text within its length, a date cell, a
# plain number) the check inlined. Anything else goes through the field's converter, so
# the rules and the messages live in one place: the compile_* functions above.

_SKIP = object()


def _unknown(row_number, fld, value):
    message = (f"'{value}' is not a principal with an active connection to this company."
               if fld.lookup == "principal" else
               f"{fld.lookup.capitalize()} code '{value}' does not exist for this company.")
    return Rejection(row_number, fld.label, fld.name, value, f"unknown_{fld.lookup}", message)


def _fast_case(kind, k):
    """(condition on `raw`, value) of a converter's inlined usual case, or None."""
    if kind[0] == "text":
        limit = kind[1]
        if limit:
            return f"raw.__class__ is str and 0 < len(text := raw.strip()) <= {limit}", "text"
        return "raw.__class__ is str and (text := raw.strip())", "text"
    if kind[0] == "iso_date":
        return "raw.__class__ is date", "raw"
    if kind[0] == "plain_decimal":
        decimals, positive = kind[1], kind[2]
        if positive:
            return None  # zero and negatives need the converter's message
        condition = "raw.__class__ is str and (match := plain_number(raw)) is not None"
        if decimals is not None:
            condition += f" and match.end(1) - match.start(1) <= {decimals}"
        return condition, "Decimal(raw)"
    return None


def _field_block(k, fld):
    """The lines that check field number `k` into `record` (or `problems`)."""
    store = []
    if fld.lookup:
        store += [f"found = T{k}.get(value)",
                  "if found is None:",
                  f"    problems.append(_unknown(row_number, F{k}, value))",
                  "else:",
                  f"    record[{fld.id_slot}] = found"]
    store.append(f"record[{fld.slot}] = value")
    checked = []  # after the converter: the default, then required or stored
    if fld.default is not None:
        checked += ["if value is None:", f"    value = D{k}"]
    checked += ["if value is None:",
                f"    problems.append(_required(row_number, F{k}))" if fld.required else "    pass",
                "else:"] + ["    " + line for line in store]
    if fld.index is None:
        return [f"value = D{k}" if fld.default is not None else "value = None"] + checked[
            (2 if fld.default is not None else 0):]
    slow = (["try:",
             f"    value = C{k}(raw)",
             "except Invalid as invalid:",
             f"    problems.append(Rejection(row_number, F{k}.label, F{k}.name, _display(raw), "
             "invalid.reason, invalid.message))",
             "else:"] + ["    " + line for line in checked])
    lines = [f"raw = values[{fld.index}]"]
    fast = _fast_case(getattr(fld.convert, "inline", ("none",)), k)
    if fast is None:
        return lines + slow
    condition, value = fast
    return (lines + [f"if {condition}:", f"    value = {value}"]
            + ["    " + line for line in store] + ["else:"] + ["    " + line for line in slow])


def _generate_validate(validator):
    """validator's validate(row_number, values) -> (record or None, [Rejection])."""
    names = {"Invalid": Invalid, "Rejection": Rejection, "Decimal": Decimal,
             "date": dt.date, "plain_number": _PLAIN_NUMBER.match, "_display": _display,
             "_unknown": _unknown, "_required": validator._required,
             "_duplicate": validator._duplicate, "seen": validator.seen}
    body = [f"record = [None] * {validator._width}", "problems = []"]
    for k, fld in enumerate(validator.fields):
        names.update({f"F{k}": fld, f"C{k}": fld.convert, f"D{k}": fld.default,
                      f"T{k}": fld.lookup_table})
        body.append(f"# {fld.name}")
        body += _field_block(k, fld)
    slots = validator._key_slots
    key = (f"record[{slots[0]}]" if len(slots) == 1
           else "(" + ", ".join(f"record[{slot}]" for slot in slots) + ",)")
    body += ["if problems:",
             "    return None, problems",
             f"key = {key}",
             "first = seen.first_row(key, row_number)",
             "if first is not None:",
             "    return None, [_duplicate(row_number, key, first)]",
             "return record, ()"]
    source = "def validate(row_number, values):\n" + "".join(f"    {line}\n" for line in body)
    exec(compile(source, f"<validate {validator.module.name}>", "exec"), names)  # noqa: S102 - our own text
    validate = names["validate"]
    validate.source = source  # for a reader of a traceback or a test
    return validate
