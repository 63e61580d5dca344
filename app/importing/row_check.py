"""Rejected rows checked again as a person fixes them (issue 19): the import's own row
validator, built for a stored file as its job builds it (the file's template, its header
as read, the organization's master data), and the file of the fixed rows that a child
import reads, written so that its job sees exactly the values that were checked."""
import csv
import io
import json
from dataclasses import dataclass, field

import openpyxl
from sqlalchemy.orm import Session

from app.importing.faults import FileRejected
from app.importing.modules import TABULAR, declared, module_label
from app.importing.sheets import sheet_argument
from app.importing.tabular import load_lookups, template_spec
from app.importing.validation import RowValidator
from app.models import ImportFile, MapperTemplate, Organization
from app.models.imports import ImportStatus
from app.models.templates import RejectionPolicy

# The longest value a cell may hold (Excel's limit); longer input is refused whole.
MAX_CELL = 32767


@dataclass
class CheckedRow:
    """One row as typed, with what the import's validation says of it."""
    row: int
    values: list
    problems: list = field(default_factory=list)  # [{"column", "index", "message"}]

    @property
    def valid(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {"row": self.row, "valid": self.valid, "problems": self.problems}


def fixable_reason(imp: ImportFile) -> str | None:
    """Why the rows of `imp` cannot be fixed in the browser, or None when they can."""
    module = declared(imp.module)
    if module is None or module.kind != TABULAR:
        return (f"{module_label(imp.module)} rows cannot be fixed in the browser: download "
                "the rejected rows, fix them in the spreadsheet and import that file.")
    if not imp.header_json:
        return "The file was never read, so it has no rows to fix."
    if imp.template_id is None:
        return "The file's mapper template was deleted: its rows cannot be checked again."
    if (imp.template.policy == RejectionPolicy.all_or_nothing
            and imp.status == ImportStatus.needs_attention):
        return ("The file's template imports all or nothing, so none of its rows was "
                "written: importing only the fixed rows would leave its valid rows out. "
                "Fix the rows in the file itself and import it again.")
    return None


def file_header(imp: ImportFile) -> list:
    return ["" if cell is None else str(cell) for cell in json.loads(imp.header_json or "[]")]


def file_validator(session: Session, imp: ImportFile) -> RowValidator:
    """The validator the import job would build for this file today (FileRejected when
    the template no longer fits the file's columns)."""
    module = declared(imp.module)
    template = session.get(MapperTemplate, imp.template_id)
    org = session.get(Organization, imp.organization_id)
    return RowValidator(module, template_spec(template), file_header(imp),
                        load_lookups(session, org.id, module), org.multi_location)


def check_rows(validator: RowValidator, header: list, rows: list,
               duplicates: dict | None = None) -> list[CheckedRow]:
    """Each (row number, values) validated as the import validates a file's rows, in
    order, so a natural key typed twice is a duplicate here as in a file.

    `duplicates`: row number -> (key as shown, column, message) of the rows the file rejected as
    a repeated key (duplicate_in_file). Such a row whose key is unchanged is still a
    repeat of the file's earlier row: imported, it would overwrite that row's record."""
    validator.seen.clear()
    duplicates = duplicates or {}
    key_slots = [validator.layout[name] for name in validator.key_fields]
    index_of = {name: index for index, name in enumerate(header) if name}
    checked = []
    for number, values in rows:
        cells = [value if value != "" else None for value in values]
        record, rejections = validator.validate(number, cells)
        problems = [{"column": r.column, "index": index_of.get(r.column), "message": r.message}
                    for r in rejections]
        if record is not None and number in duplicates:
            shown, column, message = duplicates[number]
            if " / ".join(str(record[slot]) for slot in key_slots) == shown:
                problems.append({"column": column, "index": index_of.get(column),
                                 "message": message})
        checked.append(CheckedRow(number, values, problems))
    return checked


def fixed_rows_file(template: MapperTemplate, header: list, rows: list) -> tuple[str, bytes]:
    """The fixed rows as a file the template reads: (extension, bytes). The header sits
    on the template's header row, the sheet is the one it names, a CSV is written in its
    encoding, so the child import's job reads the very values that were checked."""
    fmt = template.file_format or "csv"
    if fmt == "csv":
        return "csv", _csv_bytes(template, header, rows)
    if fmt == "xlsx":
        return "xlsx", _xlsx_bytes(template, header, rows)
    raise FileRejected("wrong_format",
                       f"The template {template.name} reads {fmt.upper()} files only, which "
                       "cannot be written here: download the rejected rows instead.")


def _leading_rows(template, width):
    return [[""] * max(width, 1) for _ in range((template.header_row or 1) - 1)]


def _csv_bytes(template, header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(_leading_rows(template, len(header)))
    writer.writerow(header)
    writer.writerows(rows)
    encoding = template.encoding or "utf-8"
    try:
        return out.getvalue().encode(encoding)
    except UnicodeEncodeError as exc:
        raise FileRejected("bad_encoding",
                           f"The template {template.name} reads files in {encoding}, which "
                           f"cannot hold '{exc.object[exc.start:exc.end]}'.") from None


def _xlsx_bytes(template, header, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    wanted = sheet_argument(template.sheet)
    if isinstance(wanted, int):  # "#N": the N-th sheet, after N-1 empty ones
        for _ in range(wanted):
            sheet = workbook.create_sheet()
    elif wanted:
        sheet.title = wanted[:31]
    for values in _leading_rows(template, len(header)) + [header] + list(rows):
        sheet.append(values)
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed text stays text, "=..." included
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
