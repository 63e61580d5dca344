"""Fix rejected rows in the browser (issue 19, IMP-12): a file's unresolved rejected rows
page by page, checked again as they are typed by the import's own validation, and the
rows that pass imported as a child import of the file, which resolves their rejections.

A row that is still wrong is never imported: it comes back with its reasons."""
import json
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.errors import MuaraError
from app.extensions import db
from app.importing.faults import FileRejected
from app.importing.row_check import (
    MAX_CELL,
    check_rows,
    file_header,
    file_validator,
    fixable_reason,
    fixed_rows_file,
)
from app.models import ImportFile, ImportRejection, MapperTemplate
from app.models.imports import ImportStatus
from app.models.tasks import utcnow
from app.security.audit import record
from app.services.imports import enqueue_import, resolve_upload_target
from app.services.transaction import owns_transaction
from app.services.upload_store import spool_upload, write_blob

PAGE_SIZE = 100


@dataclass
class GridRow:
    row: int
    values: list
    problems: list  # [{"column", "index", "message"}] as the import logged them


@dataclass
class GridPage:
    header: list
    rows: list
    page: int
    pages: int
    total: int  # unresolved rejected rows of the file


@dataclass
class FixOutcome:
    child: Optional[ImportFile]
    imported: list = field(default_factory=list)  # the row numbers the child took
    still_wrong: list = field(default_factory=list)  # CheckedRow


def _unresolved(imp):
    return (ImportRejection.import_id == imp.id, ImportRejection.resolved.is_(False),
            ImportRejection.severity == "error", ImportRejection.row.is_not(None))


def check_fixable(imp: ImportFile) -> None:
    reason = fixable_reason(imp)
    if reason is None and not imp.job_finished:
        reason = f"Import #{imp.id} is {imp.status.label.lower()}: wait until it is done."
    if reason:
        raise MuaraError(reason)


def grid_page(imp: ImportFile, page: int = 1) -> GridPage:
    """The file's unresolved rejected rows, PAGE_SIZE rows a page, with their reasons."""
    header = file_header(imp)
    total = db.session.execute(
        select(func.count(func.distinct(ImportRejection.row))).where(*_unresolved(imp))).scalar()
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    page = min(max(page, 1), pages)
    numbers = db.session.execute(
        select(ImportRejection.row).where(*_unresolved(imp)).group_by(ImportRejection.row)
        .order_by(ImportRejection.row).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).scalars().all()
    found = db.session.execute(
        select(ImportRejection).where(*_unresolved(imp), ImportRejection.row.in_(numbers))
        .order_by(ImportRejection.row, ImportRejection.id)).scalars().all() if numbers else []
    index_of = {name: index for index, name in enumerate(header) if name}
    rows: dict[int, GridRow] = {}
    for rejection in found:
        row = rows.get(rejection.row)
        if row is None:
            cells = json.loads(rejection.original or "[]")
            values = [_text(cell) for cell in cells[:len(header)]]
            values += [""] * (len(header) - len(values))
            row = rows[rejection.row] = GridRow(rejection.row, values, [])
        row.problems.append({"column": rejection.column, "index": index_of.get(rejection.column),
                             "message": rejection.message})
    return GridPage(header, [rows[n] for n in numbers], page, pages, total)


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def parse_rows(imp: ImportFile, payload: Any) -> list[tuple[int, list]]:
    """The rows a request sends, as (row number, values): each an unresolved rejected row
    of this file, with text values as wide as the file's header. MuaraError says what is
    wrong with the request."""
    if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
        raise MuaraError("Send the rows as {\"rows\": [{\"row\": N, \"values\": [...]}]}.")
    sent = payload["rows"]
    if not sent:
        raise MuaraError("No rows were sent.")
    if len(sent) > PAGE_SIZE:
        raise MuaraError(f"Send at most {PAGE_SIZE} rows at a time.")
    width = len(file_header(imp))
    rows = []
    for item in sent:
        number = item.get("row") if isinstance(item, dict) else None
        values = item.get("values") if isinstance(item, dict) else None
        if (not isinstance(number, int) or isinstance(number, bool)
                or not isinstance(values, list) or len(values) != width
                or not all(isinstance(value, str) for value in values)):
            raise MuaraError(f"Each row needs its number and {width} text values.")
        if any(len(value) > MAX_CELL for value in values):
            raise MuaraError(f"Row {number}: a value is longer than {MAX_CELL} characters.")
        rows.append((number, values))
    numbers = [number for number, _ in rows]
    if len(set(numbers)) != len(numbers):
        raise MuaraError("A row was sent twice.")
    open_rows = set(db.session.execute(
        select(ImportRejection.row).where(*_unresolved(imp), ImportRejection.row.in_(numbers))
    ).scalars())
    unknown = [n for n in numbers if n not in open_rows]
    if unknown:
        raise MuaraError(f"Row {unknown[0]} of import #{imp.id} has no rejection left to "
                         "fix (resolved already, or never rejected).")
    return rows


def check(imp: ImportFile, rows: list) -> list:
    """The rows checked by the import's validation, as the file's job would check them."""
    check_fixable(imp)
    try:
        validator = file_validator(db.session, imp)
    except FileRejected as fault:
        raise MuaraError(fault.message) from None
    numbers = [number for number, _ in rows]
    repeated = db.session.execute(
        select(ImportRejection.row, ImportRejection.value, ImportRejection.column,
               ImportRejection.message)
        .where(*_unresolved(imp), ImportRejection.reason == "duplicate_in_file",
               ImportRejection.row.in_(numbers))).all()
    duplicates = {row: (value, column, message) for row, value, column, message in repeated}
    return check_rows(validator, file_header(imp), rows, duplicates)


@owns_transaction
def import_fixed_rows(imp: ImportFile, rows: list, user: User | None = None) -> FixOutcome:
    """Check the rows; those that pass become a child import of `imp` (stored whole like
    any file, then queued), and their rejections are resolved by it. Still-wrong rows
    import nothing and come back with their reasons."""
    checked = check(imp, rows)
    good = [row for row in checked if row.valid]
    outcome = FixOutcome(None, [row.row for row in good], [row for row in checked if not row.valid])
    if not good:
        return outcome
    template = db.session.get(MapperTemplate, imp.template_id)
    try:
        extension, content = fixed_rows_file(template, file_header(imp),
                                             [row.values for row in good])
    except FileRejected as fault:
        raise MuaraError(fault.message) from None
    # The file's own organization, principal, integration and template, checked again:
    # a connection or integration ended since is refused with its reason.
    org = imp.organization
    _module, principal, integration, template = resolve_upload_target(
        org, imp.module, imp.principal.code if imp.principal else None,
        imp.integration.name if imp.integration else None, template.name)
    upload = spool_upload(content, current_app.config["MAX_CONTENT_LENGTH"])
    stem = imp.filename.rsplit(".", 1)[0]
    child = ImportFile(organization_id=org.id, module=imp.module, template_id=template.id,
                       principal_id=principal.id if principal else None,
                       integration_id=integration.id,
                       filename=f"{stem[:200]}_fixed.{extension}", size=upload.size,
                       sha256=upload.sha256, uploaded_by_id=getattr(user, "id", None),
                       source="screen", status=ImportStatus.imported, parent_id=imp.id)
    db.session.add(child)
    db.session.flush()
    write_blob(db.session, child.id, upload)
    now = utcnow()
    for rejection in db.session.execute(select(ImportRejection).where(
            *_unresolved(imp), ImportRejection.row.in_(outcome.imported))).scalars():
        rejection.resolved, rejection.resolved_at = True, now
        rejection.resolved_by_id = child.id
    record("fix_rows", "import_file", imp.id, org.code,
           f"{len(good)} fixed rows imported as #{child.id}")
    outcome.child = child
    enqueue_import(child)  # commits the child with its task
    return outcome


def family(imp: ImportFile) -> dict:
    """What the file's page says of fixing: its parent (for a child import), its child
    imports with the counts rolled up to it, the rejected rows still to fix and whether
    they can be fixed in the browser."""
    # The children of fixed rows (a workbook's sheets are children too: they have a sheet).
    children = db.session.execute(select(ImportFile).where(ImportFile.parent_id == imp.id,
                                                           ImportFile.sheet.is_(None))
                                  .order_by(ImportFile.id)).scalars().all()
    to_fix = db.session.execute(
        select(func.count(func.distinct(ImportRejection.row))).where(*_unresolved(imp))).scalar()
    return {"parent": imp.parent, "children": children, "to_fix": to_fix,
            "fixable": bool(to_fix) and imp.job_finished and fixable_reason(imp) is None,
            "accepted": imp.accepted + sum(child.accepted for child in children),
            "fixed": sum(child.accepted for child in children)}
