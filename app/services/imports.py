"""Taking a file in: preconditions (IMP-2), storing it whole (IMP-3), duplicates (IMP-6),
queueing, re-processing, and the summary that the CLI and API print."""
import json
import math
from typing import Any, BinaryIO, Optional

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import case, func, select, update

from app.errors import MuaraError, PreconditionFailed
from app.extensions import db
from app.importing.file_warnings import stored_read_as, stored_warnings
from app.importing.modules import (
    MODULES,
    RETURNS_XML,
    SHOWN_ONLY,
    XML_MODULES,
    Module,
)
from app.models import (
    Connection,
    ImportFile,
    ImportRejection,
    Integration,
    MapperTemplate,
    Organization,
)
from app.models.imports import ImportStatus
from app.models.integrations import IntegrationKind
from app.models.organizations import OrgKind
from app.models.tasks import BackgroundTask
from app.queue import queue
from app.security.audit import record
from app.services import preconditions
from app.services.import_job import process_import
from app.services.sync_files import follow_import, record_file
from app.services.templates import find_template
from app.services.upload_store import TooLarge, spool_upload, write_blob


def check_module(module_name: str) -> Module:
    if module_name in SHOWN_ONLY:
        raise MuaraError(f"Importing {SHOWN_ONLY[module_name]} is not supported yet.")
    if module_name in XML_MODULES:
        return XML_MODULES[module_name]
    if module_name not in MODULES:
        known = ", ".join(list(MODULES) + list(SHOWN_ONLY) + list(XML_MODULES))
        raise MuaraError(f"unknown module: {module_name} (one of {known})")
    return MODULES[module_name]


def active_principals(org: Organization) -> list[Organization]:
    return db.session.execute(
        select(Organization).join(Connection, Connection.principal_id == Organization.id)
        .where(Connection.distributor_id == org.id, Connection.active.is_(True))
        .order_by(Organization.code)).scalars().all()


def active_external_integrations(org: Organization) -> list[Integration]:
    return db.session.execute(
        select(Integration).where(Integration.organization_id == org.id,
                                  Integration.kind == IntegrationKind.external,
                                  Integration.active.is_(True))
        .order_by(Integration.name)).scalars().all()


def resolve_upload_target(org: Organization, module_name: str,
                          principal_code: str | None = None,
                          integration_name: str | None = None,
                          template_name: str | None = None,
                          ) -> tuple[Module, Organization, Integration | None,
                                     MapperTemplate | None]:
    """Check every precondition of IMP-2, each with its own message; returns
    (module, principal, integration, template)."""
    module = check_module(module_name)
    if org.kind != OrgKind.distributor:
        raise MuaraError(f"{org.code} is a principal: files are imported by distributors")
    principals = active_principals(org)
    if not principals:
        raise PreconditionFailed(preconditions.no_connection(org))
    if principal_code:
        principal = next((p for p in principals if p.code == principal_code), None)
        if principal is None:
            raise MuaraError(f"{org.code} has no active connection with {principal_code}: "
                             "files can be shared only with connected principals.")
    elif len(principals) == 1:
        principal = principals[0]
    else:
        raise MuaraError("choose who can view the file (--principal): "
                         + ", ".join(p.code for p in principals))
    externals = active_external_integrations(org)
    if not externals:
        raise PreconditionFailed(preconditions.no_external_integration(org))
    if integration_name:
        integration = db.session.execute(select(Integration).where(
            Integration.organization_id == org.id, Integration.name == integration_name)).scalar()
        if integration is None:
            raise MuaraError(f"unknown integration of {org.code}: {integration_name}")
        if integration.kind != IntegrationKind.external:
            raise MuaraError(f"{integration.name} is a {integration.kind.name.upper()} "
                             "integration: its data comes through the integration, not by "
                             "file upload. Choose an External integration.")
        if not integration.active:
            raise MuaraError(f"integration {integration.name} is inactive")
    elif len(externals) == 1:
        integration = externals[0]
    else:
        raise MuaraError("choose the source integration (--integration): "
                         + ", ".join(i.name for i in externals))
    if module.kind == RETURNS_XML:  # its own XML format needs no mapper template (TPL-5)
        if template_name:
            raise MuaraError(f"{module.label} are imported from their own XML format: "
                             "they need no template.")
        return module, principal, integration, None
    template = find_template(org, module.name, template_name)
    return module, principal, integration, template


def _size_text(size, up=False):
    """1536 -> "1.5 KB". `up` rounds up, so a file over a limit never reads as the limit."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            tenths = size * 10 / factor
            tenths = math.ceil(tenths) if up else round(tenths)
            return f"{tenths / 10:g} {unit}" if tenths % 10 else f"{tenths // 10} {unit}"
    return f"{size} bytes"


def find_duplicate(org_id: int, module_name: str, sha256: str) -> Optional[ImportFile]:
    """The earlier import of the same file; a file only checked (nothing written, even
    when the check failed) or undone does not count."""
    return db.session.execute(
        select(ImportFile).where(ImportFile.organization_id == org_id,
                                 ImportFile.module == module_name, ImportFile.sha256 == sha256,
                                 ImportFile.status.not_in((ImportStatus.checked,
                                                           ImportStatus.undone)),
                                 ImportFile.dry_run.is_(False))
        .order_by(ImportFile.id)).scalars().first()


class DuplicateFile(MuaraError):
    """The same file was imported before (IMP-6); `earlier` is that import, for a screen
    to word its own message."""

    def __init__(self, earlier: ImportFile):
        self.earlier = earlier
        super().__init__(f"this file was already imported as {describe_import(earlier)}; "
                         "force it to import it again")


def describe_import(imp: ImportFile) -> str:
    """'import #3 (invoices.xlsx, 2026-12-01 01:10, Archived)'."""
    return (f"import #{imp.id} ({imp.filename}, {imp.uploaded_at:%Y-%m-%d %H:%M}, "
            f"{imp.status.label})")


def create_import(org: Organization, module_name: str, filename: str,
                  content: bytes | BinaryIO, user: User | None = None,
                  principal_code: str | None = None, integration_name: str | None = None,
                  template_name: str | None = None, force: bool = False,
                  source: str = "screen", base_url: str | None = None,
                  dry_run: bool = False) -> ImportFile:
    """Store the upload, then queue it. Returns the ImportFile. dry_run: check only (the
    job validates the file and writes nothing; "Import now" imports it later).

    `base_url` is the portal's address as the uploader reached it (the screen's request),
    for the links of the result e-mail when MUARA_PUBLIC_URL is not set.

    `content` is the bytes or a binary stream (an open file, an upload's stream): a
    stream is copied in chunks and refused for size as soon as the limit is passed."""
    module, principal, integration, template = resolve_upload_target(
        org, module_name, principal_code, integration_name, template_name)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        upload = spool_upload(content, limit)
    except TooLarge as over:
        shown = (f"is {_size_text(over.size, up=True)}" if over.size is not None
                 else f"is over {_size_text(limit)}")
        raise MuaraError(f"the file {shown}; the limit is {_size_text(limit)}") from None
    try:
        return _store(org, module, principal, integration, template, filename, upload, user,
                      force or dry_run, source, base_url, dry_run)
    finally:
        upload.discard()


def _store(org, module, principal, integration, template, filename, upload, user, force,
           source, base_url=None, dry_run=False):
    if not upload.size:
        raise MuaraError("The file is empty.")
    earlier = find_duplicate(org.id, module.name, upload.sha256)
    if earlier is not None and not force:
        raise DuplicateFile(earlier)
    imp = ImportFile(organization_id=org.id, module=module.name,
                     template_id=template.id if template else None,
                     principal_id=principal.id if principal else None,
                     integration_id=integration.id, filename=filename[:255],
                     size=upload.size, sha256=upload.sha256,
                     uploaded_by_id=getattr(user, "id", None),
                     forced=earlier is not None and not dry_run, source=source,
                     base_url=(base_url or None) and base_url[:255], dry_run=dry_run,
                     status=ImportStatus.imported)
    db.session.add(imp)
    db.session.flush()
    write_blob(db.session, imp.id, upload)
    if source == "api":
        record_file(imp)  # a pushed file is a synchronized document (SYN-2)
    db.session.commit()
    enqueue_import(imp)
    return imp


def enqueue_import(imp: ImportFile) -> BackgroundTask:
    task = queue().submit(process_import, imp.id)
    imp.task_id = task.id
    db.session.commit()
    return task


def ask_to_run_again(import_id: int, **values: Any) -> bool:
    """The file waiting again (status imported, its undo and result notice cleared, and
    `values`), unless it is waiting, running or being undone already: one conditional
    UPDATE of its row, so of two presses at once one is refused."""
    return bool(db.session.execute(
        update(ImportFile)
        .where(ImportFile.id == import_id,
               ImportFile.status.not_in([ImportStatus.imported, ImportStatus.processing,
                                         ImportStatus.undoing]))
        .values(status=ImportStatus.imported, undo_json=None, undone_at=None,
                result_seen=False, **values)
        .execution_options(synchronize_session=False)).rowcount)


def reprocess(imp: ImportFile) -> BackgroundTask:
    """Run a stored file again (a fixed template or master data); records upsert.

    One conditional UPDATE of the import row asks for the run: of two Re-process
    presses at once, one queues the file and the other is told it is being processed."""
    # A checked file is checked again; an undone one imported again; the uploader hears
    # of the new run's end. A staged file whose staged rows are gone (it was
    # consolidated, or undone) is staged again from its bytes; one that failed its
    # consolidation keeps its staged rows and waits for the next consolidation.
    asked = ask_to_run_again(imp.id, staged_at=case(
        (ImportFile.status == ImportStatus.failed, ImportFile.staged_at), else_=None))
    if not asked:
        db.session.rollback()
        db.session.refresh(imp)
        if imp.status == ImportStatus.processing:
            raise MuaraError(f"Import #{imp.id}: this file is being processed; wait for it "
                             "to finish before processing it again.")
        if imp.status == ImportStatus.undoing:
            raise MuaraError(f"Import #{imp.id} is being undone: wait until the undo ends.")
        raise MuaraError(f"Import #{imp.id}: this file is waiting to be processed already.")
    db.session.refresh(imp)
    follow_import(imp)
    record("reprocess", "import_file", imp.id, imp.organization.code, imp.filename)
    db.session.commit()
    return enqueue_import(imp)


def import_now(imp: ImportFile) -> BackgroundTask:
    """Import a checked file: the same stored bytes, no new upload, not a duplicate."""
    if imp.status != ImportStatus.checked:
        raise MuaraError(f"import #{imp.id} is not a checked file "
                         f"({imp.status.label.lower()}): nothing to import now")
    earlier = find_duplicate(imp.organization_id, imp.module, imp.sha256)
    imp.forced = earlier is not None and earlier.id != imp.id
    imp.status = ImportStatus.imported
    imp.dry_run = False
    record("import_now", "import_file", imp.id, imp.organization.code, imp.filename)
    db.session.commit()
    return enqueue_import(imp)


# The rejections the `import --wait` JSON lists (SPEC section 8); it says how many more.
WAIT_REJECTIONS_LIMIT = 1000


def _sheet_summary(child: ImportFile) -> dict:
    line = {"sheet": child.sheet, "module": child.module, "import_id": child.id,
            "status": str(child.status), "rows": child.rows_done, "accepted": child.accepted,
            "rejected": child.rejected}
    if child.status == ImportStatus.checked:
        line.update(json.loads(child.check_json or "{}"))
    return line


def summary(imp: ImportFile, limit: Optional[int] = None) -> dict:
    """The `import --wait` JSON (SPEC section 8). A workbook imported with a template set
    (issue 19.5) also lists its sheets, and its rejections are its sheets', each naming
    its sheet."""
    sheets = db.session.execute(select(ImportFile).where(ImportFile.parent_id == imp.id)
                                .order_by(ImportFile.id)).scalars().all()
    sheet_of = {child.id: child.sheet for child in sheets}
    query = (select(ImportRejection)
             .where(ImportRejection.import_id.in_([imp.id, *sheet_of]))
             .order_by(ImportRejection.import_id, ImportRejection.row.asc().nulls_first(),
                       ImportRejection.id))
    if limit:
        query = query.limit(limit)
    lines = db.session.execute(query).scalars().all()

    def entry(r):
        line = {"row": r.row, "column": r.column, "field": r.field, "value": r.value,
                "reason": r.reason, "message": r.message}
        if r.import_id in sheet_of:
            line["sheet"] = sheet_of[r.import_id]
        return line
    listed = [entry(r) for r in lines if r.severity == "error"]
    result = {"import_id": imp.id, "status": str(imp.status),
              "rows": imp.rows_done, "accepted": imp.accepted, "rejected": imp.rejected,
              "rejections": listed}
    if limit and len(lines) >= limit:
        # Only the first `limit` are listed (SPEC section 8: the first 1,000 and
        # "rejections_total"); the full list is on the file page and in the download.
        total = db.session.scalar(
            select(func.count()).select_from(ImportRejection)
            .where(ImportRejection.import_id.in_([imp.id, *sheet_of]),
                   ImportRejection.severity == "error"))
        if total > len(listed):
            result["rejections_total"] = total
            result["rejections_more"] = total - len(listed)
    if sheets:
        result["sheets"] = [_sheet_summary(c) for c in sheets]
    # How the file was read and what the reader warns of (issue 13), once it was read;
    # like "messages", "warnings" is there when there are some.
    if imp.read_as_json:
        result["read_as"] = stored_read_as(imp.read_as_json)
    warnings = stored_warnings(imp.warnings_json)
    if warnings:
        result["warnings"] = warnings
    # Warnings and infos of the message log (customer returns) are not rejections.
    messages = [dict(entry(r), severity=r.severity) for r in lines if r.severity != "error"]
    if messages:
        result["messages"] = messages
    if imp.dry_run:  # a check only; one that could not read the file failed as an import
        result["dry_run"] = True
    if imp.status == ImportStatus.checked:
        result.update(dry_run=True, **json.loads(imp.check_json or "{}"))
    if imp.error_code:
        result["error"] = {"reason": imp.error_code, "message": imp.error_message}
    elif imp.error_message:
        result["note"] = imp.error_message
    return result
