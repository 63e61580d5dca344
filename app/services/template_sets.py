"""Template sets (issue 19.5): one upload of a workbook imports each of its sheets with
the set's template for it, master data first, as one file.

The workbook is stored once, as the parent import (module "template_set"); each sheet is
a child import of its module, read from the parent's bytes through the usual pipeline
(app.importing.pipeline.run_import), with its own counts and rejections. One job runs the
children in dependency order and rolls their counts up to the parent.
"""
import json
from typing import BinaryIO

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select, update

from app.errors import MuaraError, NotFound, TaskSuperseded
from app.extensions import db
from app.importing.faults import FileRejected
from app.importing.modules import (
    DEPENDENCY_ORDER,
    MODULES,
    TABULAR,
    TEMPLATE_SET,
    in_dependency_order,
    module_label,
)
from app.importing.pipeline import Settings, run_import
from app.importing.sheets import missing_sheets, workbook_sheet_names
from app.models import ImportFile, Organization, TemplateSet, TemplateSetSheet
from app.models.imports import ImportStatus
from app.models.tasks import utcnow
from app.notifications import send_import_result
from app.queue import beat, job, on_give_up, queue
from app.security.audit import record
from app.services.import_job import STOPPED_THE_READER
from app.services.imports import (
    DuplicateFile,
    ask_to_run_again,
    find_duplicate,
    resolve_upload_target,
    summary,
)
from app.services.sync_files import follow_import, record_file
from app.services.transaction import owns_transaction
from app.services.upload_store import TooLarge, spool_upload, write_blob


def find_set(org: Organization, name_or_id: str) -> TemplateSet:
    """The organization's template set named `name_or_id` (or with that id), for the CLI
    and the API; another organization's set is not found."""
    wanted = str(name_or_id).strip()
    # An organization has a few sets: compared here, so any text a client sends (a NUL
    # byte, say, which PostgreSQL refuses in a query) is only a name that is not found.
    sets = db.session.execute(select(TemplateSet).where(
        TemplateSet.organization_id == org.id)).scalars().all()
    found = next((s for s in sets if s.name == wanted), None) or \
        next((s for s in sets if str(s.id) == wanted), None)
    if found is None:
        raise NotFound(f"No template set {wanted} in organization {org.code}.")
    return found


def ordered_sheets(template_set: TemplateSet) -> list[TemplateSetSheet]:
    """The set's sheets in the order they are imported: customers, products, then the
    others as the set lists them."""
    return in_dependency_order(list(template_set.sheets), lambda sheet: sheet.template.module)


def check_set(template_set: TemplateSet) -> None:
    """A set imports only when it has sheets, each read by a template of a tabular
    module of the set's organization."""
    if not template_set.sheets:
        raise MuaraError(f"The template set {template_set.name} has no sheets yet: add a "
                         "sheet and the template that reads it.")
    for sheet in template_set.sheets:
        module = MODULES.get(sheet.template.module)
        if sheet.template.organization_id != template_set.organization_id:
            raise MuaraError(f"Sheet {sheet.sheet}: the template {sheet.template.name} belongs "
                             "to another organization.")
        if module is None or module.kind != TABULAR:
            raise MuaraError(f"Sheet {sheet.sheet}: {module_label(sheet.template.module)} "
                             "cannot be part of a template set (only Customers, Products, "
                             "Open Invoices, Open Credits and Inventory in Boxes).")


def check_can_be_checked(template_set: TemplateSet) -> None:
    """Check only reads each sheet against the records already stored and writes none:
    a sheet that needs the customers or products of another sheet of the same workbook
    would be told they are unknown, so such a set is imported, not checked."""
    modules = {sheet.template.module for sheet in template_set.sheets}
    masters = sorted(modules & set(DEPENDENCY_ORDER))
    if masters and modules - set(DEPENDENCY_ORDER):
        raise MuaraError(
            f"Check only is not available for the template set {template_set.name}: its "
            f"other sheets need the {' and '.join(module_label(m) for m in masters)} of the "
            "same workbook, which a check does not write. Import the workbook, or check "
            "each sheet as a file of its own.")


def create_set_import(org: Organization, template_set: TemplateSet, filename: str,
                      content: bytes | BinaryIO, user: User | None = None,
                      principal_code: str | None = None,
                      integration_name: str | None = None, force: bool = False,
                      source: str = "screen", dry_run: bool = False) -> ImportFile:
    """Store the workbook and its sheets' imports, then queue them. A workbook without
    a sheet of the set is refused with the sheet named, and nothing is stored.
    dry_run: check only, every sheet (see check_can_be_checked)."""
    if template_set.organization_id != org.id:
        raise NotFound(f"No template set {template_set.name} in organization {org.code}.")
    check_set(template_set)
    if dry_run:
        check_can_be_checked(template_set)
    first = ordered_sheets(template_set)[0]
    _, principal, integration, _ = resolve_upload_target(
        org, first.template.module, principal_code, integration_name, first.template.name)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        upload = spool_upload(content, limit)
    except TooLarge:
        raise MuaraError(f"the file is over the limit of {limit // (1024 * 1024)} MB") from None
    try:
        if not upload.size:
            raise MuaraError("The file is empty.")
        try:
            names = workbook_sheet_names(upload.content if upload.content is not None
                                         else upload.path)
        except FileRejected as fault:
            raise MuaraError(fault.message) from None
        missing = missing_sheets(names, [s.sheet for s in template_set.sheets])
        if missing:
            raise MuaraError(
                f"The workbook has no sheet {', '.join(repr(m) for m in missing)}, which the "
                f"template set {template_set.name} imports (sheets found: {', '.join(names)}). "
                "Nothing was imported.")
        earlier = find_duplicate(org.id, TEMPLATE_SET, upload.sha256)
        if earlier is not None and not (force or dry_run):
            raise DuplicateFile(earlier)
        parent = _store(org, template_set, principal, integration, filename, upload, user,
                        earlier is not None and not dry_run, source, dry_run)
    finally:
        upload.discard()
    task = queue().submit(process_template_set, parent.id)
    parent.task_id = task.id
    db.session.commit()
    return parent


@owns_transaction
def _store(org, template_set, principal, integration, filename, upload, user, forced, source,
           dry_run):
    common = dict(organization_id=org.id, principal_id=principal.id if principal else None,
                  integration_id=integration.id, filename=filename[:255], size=upload.size,
                  sha256=upload.sha256, uploaded_by_id=getattr(user, "id", None),
                  forced=forced, source=source, status=ImportStatus.imported,
                  template_set_id=template_set.id, dry_run=dry_run)
    parent = ImportFile(module=TEMPLATE_SET, **common)
    db.session.add(parent)
    db.session.flush()
    write_blob(db.session, parent.id, upload)
    if source == "api":
        record_file(parent)  # a pushed file is a synchronized document (SYN-2)
    for sheet in ordered_sheets(template_set):
        db.session.add(ImportFile(module=sheet.template.module, template_id=sheet.template_id,
                                  parent_id=parent.id, sheet=sheet.sheet, **common))
    db.session.flush()
    return parent


def reprocess_set(parent: ImportFile) -> ImportFile:
    """Run a stored workbook's sheets again (a fixed template or master data); a checked
    workbook is checked again."""
    return _run_again(parent, parent.dry_run, "reprocess")


def import_set_now(parent: ImportFile) -> ImportFile:
    """Import a checked workbook: the same stored bytes, its sheets imported this time."""
    if parent.status != ImportStatus.checked:
        raise MuaraError(f"import #{parent.id} is not a checked file "
                         f"({parent.status.label.lower()}): nothing to import now")
    return _run_again(parent, False, "import_now")


def _run_again(parent: ImportFile, dry_run: bool, action: str) -> ImportFile:
    """The workbook and each of its sheets waiting again, then queued: one conditional
    UPDATE of the workbook's row, so of two presses at once one is refused."""
    asked = ask_to_run_again(parent.id, dry_run=dry_run)  # an undone workbook: imported again
    if not asked:
        db.session.rollback()
        db.session.refresh(parent)
        raise MuaraError(f"Import #{parent.id}: this file is "
                         f"{parent.status.label.lower()} already; wait for it to finish.")
    db.session.execute(
        update(ImportFile).where(ImportFile.parent_id == parent.id)
        .values(status=ImportStatus.imported, dry_run=dry_run, staged_at=None,
                check_json=None, undo_json=None, undone_at=None)
        .execution_options(synchronize_session=False))
    db.session.refresh(parent)
    record(action, "import_file", parent.id, parent.organization.code, parent.filename)
    task = queue().submit(process_template_set, parent.id)
    parent.task_id = task.id
    db.session.commit()
    return parent


def sheet_imports(parent: ImportFile) -> list[ImportFile]:
    """The children of a workbook's import, in the order they run."""
    return db.session.execute(select(ImportFile).where(ImportFile.parent_id == parent.id)
                              .order_by(ImportFile.id)).scalars().all()


@job
def process_template_set(import_id: int) -> dict:
    """Each sheet through the import pipeline, master data first; then the workbook's
    counts and state from its sheets'."""
    config = current_app.config
    settings = Settings(batch_size=config.get("IMPORT_BATCH_SIZE", 20000),
                        max_unpacked_bytes=config["MAX_UNPACKED_MB"] * 1024 * 1024,
                        on_batch=beat)
    parent = db.session.get(ImportFile, import_id)
    if parent is None:
        return {"import_id": import_id, "status": "deleted"}
    parent.status, parent.started_at, parent.finished_at = ImportStatus.processing, utcnow(), None
    parent.error_code = parent.error_message = None
    db.session.commit()
    for child in sheet_imports(parent):
        try:
            run_import(db.session, child.id, settings)
        except TaskSuperseded:
            raise
        except Exception:  # run_import failed the sheet; the others still run
            db.session.rollback()
    roll_up(parent)
    send_import_result(parent)
    return summary(parent, limit=20)


@on_give_up(process_template_set)
def give_up_template_set(import_id: int) -> None:
    """The re-queue pass will not run this workbook again (its worker died twice): the
    sheets not done are failed, so is the workbook, and the uploader hears of it."""
    parent = db.session.get(ImportFile, import_id)
    if parent is None or parent.status not in (ImportStatus.imported, ImportStatus.processing):
        return
    for child in sheet_imports(parent):
        if child.status in (ImportStatus.imported, ImportStatus.processing):
            child.status, child.finished_at = ImportStatus.failed, utcnow()
            child.error_code, child.error_message = "reader_stopped", STOPPED_THE_READER
    roll_up(parent)
    send_import_result(parent)


def roll_up(parent: ImportFile) -> None:
    """The workbook's counts are its sheets' sums; it failed when a sheet failed (the
    failed sheets named), else a checked workbook is checked (what each sheet would
    do, summed), one with rejections needs attention, and the others are archived."""
    children = sheet_imports(parent)
    parent.rows_done = sum(c.rows_done for c in children)
    parent.accepted = sum(c.accepted for c in children)
    parent.rejected = sum(c.rejected for c in children)
    parent.rows_total = parent.rows_done
    failed = [c for c in children if c.status == ImportStatus.failed]
    if failed:
        parent.status = ImportStatus.failed
        parent.error_code = "sheet_failed"
        parent.error_message = " ".join(f"Sheet {c.sheet}: {c.error_message}" for c in failed)
    elif parent.dry_run:
        parent.status = ImportStatus.checked
        parent.check_json = json.dumps(_summed_checks(children))
    else:
        parent.status = (ImportStatus.needs_attention if parent.rejected
                         else ImportStatus.archived)
    parent.finished_at = utcnow()
    follow_import(parent)
    db.session.commit()


def _summed_checks(children: list[ImportFile]) -> dict:
    total: dict = {}
    for child in children:
        for key, value in json.loads(child.check_json or "{}").items():
            if isinstance(value, int):
                total[key] = total.get(key, 0) + value
    return total
