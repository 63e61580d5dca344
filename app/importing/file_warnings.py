"""File-level warnings: what the person should know about how their file was read,
though nothing stopped it (issue 13). Each is {"code", "message"}; stored on the import
(`warnings_json`), listed in the `--wait` JSON, on the file page and in the e-mail.

- missing_optional_column: a template line names a column the file does not have (a
  typo such as "CustomerID" for "Customer ID"); the field is empty (or its default) on
  every row. A required one is the refusal `missing_column`, not a warning.
- uncertain_encoding: the CSV's encoding was a guess the reader is not sure of.
- hidden_sheets_skipped: hidden sheets were passed over for the first visible one.
"""
import json

from app.importing.columns import describe_source, resolve_line
from app.importing.modules import TEXT, Module
from app.importing.readers import Table
from app.importing.validation import RowValidator


def text_field_columns(validator: RowValidator) -> list[int]:
    """The columns mapped to text fields: they take the text the cell shows."""
    return [f.index for f in validator.fields if f.index is not None and f.declared.type == TEXT]


def file_warnings(table: Table, module: Module, lines: list) -> list[dict]:
    warnings = []
    if table.hidden_skipped:
        names = ", ".join(f"'{name}'" for name in table.hidden_skipped)
        warnings.append(_warning(
            "hidden_sheets_skipped",
            f"Hidden {'sheet' if len(table.hidden_skipped) == 1 else 'sheets'} {names} "
            f"{'was' if len(table.hidden_skipped) == 1 else 'were'} not read: the first "
            f"visible sheet, '{table.sheet_name}', was. Name a hidden sheet in the "
            "template to read it."))
    if table.fmt == "csv" and not table.encoding_certain:
        warnings.append(_warning(
            "uncertain_encoding",
            f"The file's text encoding is not certain; it was read as {table.encoding_label}. "
            "If names or accents look wrong, save the file as CSV UTF-8 (or set the "
            "template's encoding) and upload it again."))
    found = ", ".join(f"'{h}'" for h in table.header if h) or "none"
    for line in lines:
        fld = module.field(line.field)
        if not line.source_column or resolve_line(table.header, line.source_column,
                                                  line.source_kind, fld.names) is not None:
            continue
        fill = (f"its default value '{line.default_value}' was used"
                if line.default_value not in (None, "") else "it was left empty")
        warnings.append(_warning(
            "missing_optional_column",
            f"The file has no column {describe_source(line.source_column, line.source_kind)} "
            f"for {fld.header}, so on every row {fill}. Columns found: {found}."))
    return warnings


def _warning(code, message):
    return {"code": code, "message": message}


def stored_warnings(text: str | None) -> list[dict]:
    return json.loads(text) if text else []


def stored_read_as(text: str | None) -> dict | None:
    return json.loads(text) if text else None
