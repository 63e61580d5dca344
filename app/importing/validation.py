"""Rows to records: map a table's columns through a template, convert and validate every
value. Per-record problems are data (Rejection), never exceptions; a file that cannot be
mapped at all raises FileRejected.

Converters (app.importing.values) are compiled once per job into small closures, and the
per-row function is generated once per job from them (app.importing.rowcode) so each row
runs straight-line code.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Optional

from app.importing.columns import HEADER, describe_source, resolve_line
from app.importing.faults import FileRejected
from app.importing.modules import WHEN_MULTI_LOCATION, Field, Module
from app.importing.rowcode import generate_validate
from app.importing.seen_keys import SeenKeys
from app.importing.values import COMPILERS, Invalid, Rejection, compile_text


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


def record_layout(module: Module) -> dict[str, int]:
    """Positions in a record (a list): each field's value in declaration order, then the
    id of each looked-up field as `<field>_id`. Writers pick their columns by these names."""
    names = [f.name for f in module.fields] + [f.name + "_id" for f in module.fields if f.lookup]
    return {name: index for index, name in enumerate(names)}


class RowValidator:
    """Validates the rows of one file: built once per job, then called per row.

    A valid row becomes a record: a list laid out by `self.layout` (record_layout), not a
    dict, so writers take their columns with one C-level pick per row.

    `validate(row_number, values)` -> (record or None, [Rejection]) is written for the
    template when the validator is built (generate_validate). `seen` is cleared in place
    between passes, never replaced: validate holds its first_row."""

    def __init__(self, module: Module, template: TemplateSpec, header: list, lookups: dict,
                 multi_location: bool, expected_rows: int = 0,
                 optional_fields: Iterable[str] = ()):
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
                index = resolve_line(header, source, line.source_kind, fld.names)
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

    def compiled(self, name: str) -> Optional[CompiledField]:
        return next((f for f in self.fields if f.name == name), None)

    def as_dict(self, record: list) -> dict:
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
