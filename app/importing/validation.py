"""Rows to records: map a table's columns through a template, convert and validate every
value. Per-record problems are data (Rejection), never exceptions; a file that cannot be
mapped at all raises FileRejected.

Converters are compiled once per job into small closures, and the per-row function is
generated once per job from them (generate_validate) so each row runs straight-line code.
"""
import datetime as dt
import re
from dataclasses import dataclass, field as dc_field
from decimal import Decimal, InvalidOperation
from typing import Optional

from app.importing.cell_text import imprecise_number_message, is_imprecise
from app.importing.columns import HEADER, describe_source, resolve_column
from app.importing.modules import (DATE, DECIMAL, INTEGER, TIME, WHEN_MULTI_LOCATION, Field,
                                   Module)
from app.importing.readers import FileRejected
from app.importing.seen_keys import SeenKeys

DEFAULT_DATE_FORMATS = ("%Y-%m-%d",)
# What the record columns hold (Numeric(18, 3) and Integer): a bigger value is the row's
# problem, not a database error that stops the whole file.
MAX_INTEGER_DIGITS = 15
MAX_INTEGER = 2_147_483_647
_FORMAT_WORDS = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%y": "YY", "%b": "Mon", "%H": "HH",
                 "%M": "MI", "%S": "SS"}


@dataclass
class LineSpec:
    """One template line (see app.models.templates.TemplateField)."""
    field: str
    source_column: Optional[str] = None
    source_kind: str = HEADER  # or LETTER (app.importing.columns)
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


def _trimmed_only(spec):
    """Text that is only trimmed (no case, no value map): the common case."""
    return spec.trim and not spec.case and not spec.value_map


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

    if not _trimmed_only(spec):
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


def _date_formats(spec):
    return tuple(f.strip() for f in (spec.date_formats or "").split(",") if f.strip()) \
        or DEFAULT_DATE_FORMATS


def compile_date(spec, fld):
    formats = _date_formats(spec)
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
            if fmt == "%Y-%m-%d" and len(text) != 10:
                continue  # strptime would take 2025-1-31; YYYY-MM-DD means two digits each
            try:
                return strptime(text, fmt).date()
            except ValueError:
                continue
        raise Invalid("invalid_date", f"{label} '{text}' is not a valid date in the format {words}.")
    return convert


def _number_text(text, decimal_sep, thousands_sep):
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if thousands_sep:
        text = text.replace(thousands_sep, "")
    if decimal_sep and decimal_sep != ".":
        text = text.replace(decimal_sep, ".")
    return text


_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.([0-9]*))?\Z")


def _plain_number_text(spec):
    """Numbers written with a decimal point and no thousands separator."""
    return spec.decimal_separator in (None, "", ".") and not spec.thousands_separator


def compile_decimal(spec, fld):
    decimals, positive, label = fld.decimals, fld.positive, fld.header
    decimal_sep, thousands_sep = spec.decimal_separator, spec.thousands_separator
    plain_text = _plain_number_text(spec)
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
    declared: Optional[Field] = None  # the module's field, for the generated fast paths
    spec: Optional[LineSpec] = None  # the template line (or a default one)


def record_layout(module):
    """Positions in a record (a list): each field's value in declaration order, then the
    id of each looked-up field as `<field>_id`. Writers pick their columns by these names."""
    names = [f.name for f in module.fields] + [f.name + "_id" for f in module.fields if f.lookup]
    return {name: index for index, name in enumerate(names)}


# --- the generated per-row function -----------------------------------------------------------
#
# A loop over the fields, calling one converter closure per cell, spent most of its time
# on the loop and the calls, not on the checks. So RowValidator writes one straight-line
# function per job, as collections.namedtuple does: each field's common case inline (a
# trimmed str, an ISO date, a plain decimal), anything unusual through the field's
# converter closure, which stays the one definition of every rule and message.
# The source holds only names, numbers and the module's field names: no text of the file
# or the template (headers, defaults, maps) is ever written into it.

def _invalid(row_number, fld, raw, invalid):
    return Rejection(row_number, fld.label, fld.name, _display(raw), invalid.reason,
                     invalid.message)


def _unknown(row_number, fld, value):
    message = (f"'{value}' is not a principal with an active connection to this company."
               if fld.lookup == "principal" else
               f"{fld.lookup.capitalize()} code '{value}' does not exist for this company.")
    return Rejection(row_number, fld.label, fld.name, value, f"unknown_{fld.lookup}", message)


def _plain_decimal(decimals):
    """compile_decimal's plain number (_PLAIN_NUMBER) that has at most `decimals` decimals:
    such a text is its own Decimal, with no further check but the sign."""
    fraction = "[0-9]*" if decimals is None else f"[0-9]{{0,{decimals}}}"
    return re.compile(rf"-?[0-9]{{1,15}}(?:\.{fraction})?\Z").match


def _text_conversion(k, cf, names):
    """A trimmed str that is not empty and not too long is the value as it is."""
    max_length = cf.declared.max_length
    too_long = f" or len(v{k}) > {max_length}" if max_length else ""
    return [f"v{k} = raw.strip() if raw.__class__ is str else None",
            f"if not v{k}{too_long}:",
            f"    v{k} = convert{k}(raw)"]


def _date_conversion(k, cf, names):
    """YYYY-MM-DD through date.fromisoformat (as compile_date does first): ten times faster
    than strptime. Such a text has no spaces to trim."""
    return ['if raw.__class__ is str and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":',
            "    try:",
            f"        v{k} = fromisoformat(raw)",
            "    except ValueError:",
            f"        v{k} = convert{k}(raw)",
            "else:",
            f"    v{k} = convert{k}(raw)"]


def _decimal_conversion(k, cf, names):
    """A plain number with few enough decimals is its own Decimal (compile_decimal's fast
    path); a positive field's zero or negative one goes to the converter for its message."""
    names[f"plain{k}"] = _plain_decimal(cf.declared.decimals)
    lines = [f"if raw.__class__ is str and plain{k}(raw) is not None:",
             f"    v{k} = Decimal(raw)"]
    if cf.declared.positive:
        lines += [f"    if v{k} <= 0:",
                  f"        v{k} = convert{k}(raw)"]
    return lines + ["else:",
                    f"    v{k} = convert{k}(raw)"]


def _fast_conversion(cf):
    """The inline conversion of the field's common case, or None to always call convert."""
    kind = cf.declared.type
    if kind == DATE:
        return _date_conversion if "%Y-%m-%d" in _date_formats(cf.spec) else None
    if kind == DECIMAL:
        return _decimal_conversion if _plain_number_text(cf.spec) else None
    if kind in (INTEGER, TIME):
        return None
    return _text_conversion if _trimmed_only(cf.spec) else None


def _indent(lines, depth=1):
    return ["    " * depth + line for line in lines]


def _conversion_lines(k, cf, names):
    """raw -> v<k>; an Invalid from the converter becomes the field's rejection."""
    if cf.index is None:
        return [f"v{k} = None  # not in the file: every converter gives None"]
    fast = _fast_conversion(cf)
    convert = fast(k, cf, names) if fast else [f"v{k} = convert{k}(raw)"]
    return [f"raw = values[{cf.index}]", "try:", *_indent(convert),
            "except Invalid as invalid:",
            f"    problems.append(_invalid(row_number, fld{k}, raw, invalid))",
            "else:"]


def _value_lines(k, cf):
    """The default, the required check and the lookup of v<k>, as RowValidator did per
    field; v<k> and id<k> are what go in the record."""
    lookup = []
    if cf.lookup:
        lookup = [f"id{k} = table{k}.get(v{k})",
                  f"if id{k} is None:",
                  f"    problems.append(_unknown(row_number, fld{k}, v{k}))"]
    if cf.default is not None:
        return [f"if v{k} is None:", f"    v{k} = default{k}", *lookup]
    if cf.required:
        return [f"if v{k} is None:", f"    problems.append(required(row_number, fld{k}))",
                *(["else:", *_indent(lookup)] if lookup else [])]
    if lookup:
        return [f"if v{k} is None:", f"    id{k} = None", "else:", *_indent(lookup)]
    return []


def _field_lines(k, cf, names):
    names.update({f"convert{k}": cf.convert, f"fld{k}": cf, f"table{k}": cf.lookup_table,
                  f"default{k}": cf.default})
    conversion = _conversion_lines(k, cf, names)
    value = _value_lines(k, cf) or ["pass"]
    if cf.index is None:  # no try/else around a constant
        return [f"# {cf.name}: not in the file", *conversion, *value]
    return [f"# {cf.name} ({cf.declared.type}) from column {cf.index}", *conversion,
            *_indent(value)]


def generate_validate(fields, key_slots, width, first_row, required, duplicate):
    """validate(row_number, values) -> (record or None, [Rejection]) for these fields.

    Rejections come per field in field order; a row without any is checked for a
    duplicate key (`first_row`, SeenKeys) and becomes a record laid out by slot."""
    names = {"Invalid": Invalid, "Decimal": Decimal, "fromisoformat": dt.date.fromisoformat,
             "_invalid": _invalid, "_unknown": _unknown, "first_row": first_row,
             "required": required, "duplicate": duplicate}
    body = ["problems = []"]
    record = ["None"] * width
    for k, cf in enumerate(fields):
        body += _field_lines(k, cf, names)
        record[cf.slot] = f"v{k}"
        if cf.id_slot is not None:
            record[cf.id_slot] = f"id{k}"
    by_slot = {cf.slot: k for k, cf in enumerate(fields)}
    keys = [f"v{by_slot[slot]}" for slot in key_slots]
    key = keys[0] if len(keys) == 1 else f"({', '.join(keys)})"
    body += ["if problems:",
             "    return None, problems",
             f"key = {key}",
             "first = first_row(key, row_number)",
             "if first is not None:",
             "    return None, [duplicate(row_number, key, first)]",
             f"return [{', '.join(record)}], ()"]
    source = "\n".join(["def validate(row_number, values):", *_indent(body)]) + "\n"
    exec(source, names)  # noqa: S102 - our own text, from the template's shape only
    validate = names["validate"]
    validate.source = source  # for reading and debugging
    return validate


class RowValidator:
    """Validates the rows of one file: built once per job, then called per row.

    A valid row becomes a record: a list laid out by `self.layout` (record_layout), not a
    dict, so writers take their columns with one C-level pick per row.

    `validate(row_number, values)` -> (record or None, [Rejection]) is written for the
    template when the validator is built (generate_validate). `seen` is cleared in place
    between passes, never replaced: validate holds its first_row."""

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
                index = resolve_column(header, source, line.source_kind)
            has_default = bool(line and line.default_value not in (None, ""))
            if index is None and required and not has_default:
                missing.append((describe_source(source, line.source_kind) if source
                                else f"'{fld.header}'", fld.header))
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
                self.layout[fld.name], self.layout.get(fld.name + "_id"), fld, spec))
        if missing:
            names = ", ".join(src for src, _ in missing)
            found = ", ".join(f"'{h}'" for h in header if h) or "none"
            raise FileRejected("missing_column",
                               f"The file has no column {names}, which the template "
                               f"requires. Columns found: {found}.")
        # validate(row_number, values) -> (record or None, [Rejection]): see generate_validate.
        self.validate = generate_validate(
            self.fields, [self.layout[name] for name in self.key_fields], len(self.layout),
            self.seen.first_row, self._required, self._duplicate)

    def compiled(self, name):
        return next((f for f in self.fields if f.name == name), None)

    def as_dict(self, record):
        """A record as {field name: value} (and `<field>_id`), for code off the hot path."""
        return {name: record[slot] for name, slot in self.layout.items()}

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
