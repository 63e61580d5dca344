"""The generated per-row function of RowValidator (app.importing.validation)."""
import datetime as dt
import re
from decimal import Decimal
from typing import Callable

from app.importing.modules import DATE, DECIMAL, INTEGER, TIME
from app.importing.values import (
    Invalid,
    Rejection,
    date_formats,
    display,
    plain_number_text,
    trimmed_only,
)

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
    return Rejection(row_number, fld.label, fld.name, display(raw), invalid.reason,
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
    return ["if raw.__class__ is date:  # a real date cell (a spreadsheet's)",
            f"    v{k} = raw",
            'elif raw.__class__ is str and len(raw) == 10 and raw[4] == "-" and raw[7] == "-":',
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
    check = ([f"    if v{k} <= 0:", f"        v{k} = convert{k}(raw)"]
             if cf.declared.positive else [])
    # A spreadsheet's number: its text as Excel shows it (15 digits, compile_decimal's
    # float case); a plain one with few enough decimals is that Decimal.
    return [f"if raw.__class__ is str and plain{k}(raw) is not None:",
            f"    v{k} = Decimal(raw)", *check,
            "elif raw.__class__ is float and plain"
            f"{k}(shown{k} := format(raw, '.15g')) is not None:",
            f"    v{k} = Decimal(shown{k})", *check,
            "else:",
            f"    v{k} = convert{k}(raw)"]


def _fast_conversion(cf):
    """The inline conversion of the field's common case, or None to always call convert."""
    kind = cf.declared.type
    if kind == DATE:
        return _date_conversion if "%Y-%m-%d" in date_formats(cf.spec) else None
    if kind == DECIMAL:
        return _decimal_conversion if plain_number_text(cf.spec) else None
    if kind in (INTEGER, TIME):
        return None
    return _text_conversion if trimmed_only(cf.spec) else None


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


def generate_validate(fields: list, key_slots: list, width: int, first_row: Callable,
                      required: Callable, duplicate: Callable) -> Callable:
    """validate(row_number, values) -> (record or None, [Rejection]) for these fields.

    Rejections come per field in field order; a row without any is checked for a
    duplicate key (`first_row`, SeenKeys) and becomes a record laid out by slot."""
    names = {"Invalid": Invalid, "Decimal": Decimal, "fromisoformat": dt.date.fromisoformat,
             "date": dt.date,
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
