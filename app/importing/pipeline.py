"""The import job's work: read -> map -> validate -> write in batches -> rejections,
counts and status (ARCHITECTURE.md "The flow"). No Flask here: the job passes a session
and settings.

Each batch is one transaction: its records, its rejections and the import's counters
move together, so a job that dies leaves counts that match what was written, and a
re-run (records upsert on natural keys) ends in the same state.
"""
import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import delete, func, select, update

from app.errors import TaskSuperseded
from app.importing.file_warnings import file_warnings, text_field_columns
from app.importing.gc_pause import collector_paused
from app.importing.modules import MODULES, module_label
from app.importing.readers import FileRejected, check_zip_safety, detect_format, open_table
from app.importing.sheets import sheet_argument
from app.importing.validation import LineSpec, RowValidator, TemplateSpec
from app.importing.writers import (AFFECTS_BALANCES, WRITERS, Origin, insert_rows,
                                   refresh_customer_balances)
from app.models import (Connection, Customer, ImportBlob, ImportFile, ImportRejection, Location,
                        MapperTemplate, Organization, Product, StagedRow)
from app.models.imports import ImportStatus
from app.models.tasks import utcnow
from app.models.templates import RejectionPolicy

LOOKUP_MODELS = {"customer": Customer, "location": Location, "product": Product}


@dataclass
class Settings:
    batch_size: int = 20000
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    # Called with the session before each batch commit (the job's heartbeat); may raise
    # TaskSuperseded to stop without committing.
    on_batch: Optional[Callable] = None


def template_spec(template):
    return TemplateSpec(
        module=template.module, name=template.name,
        sheet=template.sheet or None, header_row=template.header_row or 1,
        file_format=template.file_format or None,
        all_or_nothing=template.policy == RejectionPolicy.all_or_nothing,
        lines=[LineSpec(field=line.field, source_column=line.source_column,
                        required=line.required, default_value=line.default_value,
                        source_kind=line.source_kind,
                        trim=line.trim, case=line.case, date_formats=line.date_formats,
                        decimal_separator=line.decimal_separator,
                        thousands_separator=line.thousands_separator,
                        value_map=line.value_map)
               for line in template.fields])


def load_lookups(session, org_id, module):
    lookups = {}
    for fld in module.fields:
        if fld.lookup == "principal":
            lookups["principal"] = connected_principals(session, org_id)
        elif fld.lookup and fld.lookup not in lookups:
            model = LOOKUP_MODELS[fld.lookup]
            lookups[fld.lookup] = dict(session.execute(
                select(model.code, model.id).where(model.organization_id == org_id)).all())
    return lookups


def connected_principals(session, org_id):
    """Code -> id of the principals the distributor has an active connection with."""
    return dict(session.execute(
        select(Organization.code, Organization.id)
        .join(Connection, Connection.principal_id == Organization.id)
        .where(Connection.distributor_id == org_id, Connection.active.is_(True))).all())


def run_import(session, import_id, settings=None):
    """Process one stored import to its final state; returns the ImportFile."""
    settings = settings or Settings()
    imp = session.get(ImportFile, import_id)
    _start(session, imp)
    path = None
    try:
        path = _spool(session, import_id)
        with collector_paused():
            _process(session, imp, path, settings)
    except TaskSuperseded:
        session.rollback()  # another run owns the file now
        raise
    except FileRejected as fault:
        session.rollback()
        _fail(session, import_id, fault.code, fault.message)
    except Exception as exc:
        # Never leave the file "processing" for ever: what was committed stays (its counts
        # match it), the file is failed, and the task keeps the traceback (re-raised).
        session.rollback()
        _fail(session, import_id, "internal_error",
              f"The import stopped because of an internal error ({type(exc).__name__}). "
              "Re-process the file once the problem is fixed.")
        raise
    finally:
        if path:
            os.unlink(path)
    return session.get(ImportFile, import_id)


def _fail(session, import_id, code, message):
    imp = session.get(ImportFile, import_id)
    imp.status = ImportStatus.failed
    imp.error_code, imp.error_message = code, message
    imp.finished_at = utcnow()
    session.commit()


def _start(session, imp):
    session.execute(delete(ImportRejection).where(ImportRejection.import_id == imp.id))
    session.execute(delete(StagedRow).where(StagedRow.import_id == imp.id))
    imp.staged_at = None
    imp.status = ImportStatus.processing
    imp.started_at, imp.finished_at = utcnow(), None
    imp.rows_done = imp.accepted = imp.rejected = 0
    imp.rows_total = None
    imp.error_code = imp.error_message = None
    imp.read_as_json = imp.warnings_json = None
    session.commit()


SPOOL_CHUNK = 8 * 1024 * 1024


def _spool(session, import_id):
    """The stored bytes into a temporary file (readers stream from a path), copied in
    chunks so a large file is never held in memory whole."""
    handle = tempfile.NamedTemporaryFile(prefix="muara-import-", delete=False)
    with handle:
        connection = session.connection()
        stored = session.execute(select(ImportBlob.import_id)
                                 .where(ImportBlob.import_id == import_id)).scalar()
        if stored is not None and connection.dialect.name == "sqlite":
            # SQLite's substr() of a blob reads the whole blob for every chunk (a 160 MB
            # CSV peaked 160 MB above the import): incremental blob I/O reads the pages.
            raw = connection.connection.driver_connection
            with raw.blobopen("import_blob", "content", import_id, readonly=True) as blob:
                while chunk := blob.read(SPOOL_CHUNK):
                    handle.write(chunk)
            return handle.name
        size = session.execute(select(func.length(ImportBlob.content))
                               .where(ImportBlob.import_id == import_id)).scalar() or 0
        for start in range(1, size + 1, SPOOL_CHUNK):  # SQL substrings count from 1
            handle.write(session.execute(
                select(func.substr(ImportBlob.content, start, SPOOL_CHUNK))
                .where(ImportBlob.import_id == import_id)).scalar())
    return handle.name


def _process(session, imp, path, settings):
    if imp.module == "customer_returns":  # its own XML format, reader and rules (RET-1)
        from app.importing.returns_rules import import_returns
        import_returns(session, imp, path, settings)
        return
    module = MODULES.get(imp.module)
    if module is None:
        raise FileRejected("module_not_supported",
                           f"Importing {module_label(imp.module)} is not supported yet.")
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    fmt = detect_format(head, imp.filename)
    if fmt == "xml":
        raise FileRejected("wrong_format", f"{module_label(imp.module)} is imported from a "
                                           "spreadsheet or CSV file, not XML.")
    template = session.get(MapperTemplate, imp.template_id) if imp.template_id else None
    if template is not None and template.file_format and template.file_format != fmt:
        raise FileRejected("wrong_format", f"The template {template.name} reads "
                                           f"{template.file_format.upper()} files; this file is "
                                           f"{fmt.upper()}.")
    if fmt in ("xlsx", "ods"):
        check_zip_safety(path, settings.max_unpacked_bytes)
    if template is None:
        raise FileRejected("no_template", f"No mapper template for {module.label}: "
                                          "create one before importing.")
    spec = template_spec(template)
    table = open_table(path, fmt, sheet=sheet_argument(spec.sheet), header_row=spec.header_row,
                       encoding=template.encoding or None)
    org = session.get(Organization, imp.organization_id)
    imp.rows_total = _estimate_rows(path, table)
    # A document's header and line fields are checked per document (staging).
    deferred = module.header_fields + module.line_fields if module.has_lines else ()
    validator = RowValidator(module, spec, table.header, load_lookups(session, org.id, module),
                             org.multi_location, expected_rows=imp.rows_total,
                             optional_fields=deferred)
    imp.header_json = json.dumps(table.header)
    table.show_as_text(text_field_columns(validator))
    imp.read_as_json = json.dumps(table.read_as())
    imp.warnings_json = json.dumps(file_warnings(table, module, spec.lines))
    session.commit()

    if module.consolidated:
        from app.importing.staging import finish_staging, stage_file
        stage_file(session, imp, table, validator, module, settings)
        finish_staging(session, imp, spec.all_or_nothing)
        return

    write = WRITERS[module.name]
    if spec.all_or_nothing:
        _validate_only(session, imp, table, validator, settings)
        if imp.rejected:
            imp.status = ImportStatus.needs_attention
            imp.error_message = all_or_nothing_message(imp, "written")
            imp.finished_at = utcnow()
            session.commit()
            return
        validator.seen.clear()
        imp.rows_done = imp.accepted = 0
        session.commit()
    _write_all(session, imp, table, validator, write, settings,
               keep_rejections=not spec.all_or_nothing)
    validator.seen.clear()  # its memory back before the balances' grouped pass
    if module.name in AFFECTS_BALANCES:
        refresh_customer_balances(session, imp.organization_id)
    imp.status = ImportStatus.needs_attention if imp.rejected else ImportStatus.archived
    imp.finished_at = utcnow()
    session.commit()


def all_or_nothing_message(imp, done):
    """Why an all-or-nothing file kept none of its valid rows (IMP-9)."""
    return (f"All or nothing: {imp.accepted} valid "
            f"{'row was' if imp.accepted == 1 else 'rows were'} not {done} because "
            f"{imp.rejected} {'was' if imp.rejected == 1 else 'were'} rejected.")


def _estimate_rows(path, table):
    if table.last_row is not None:
        return max(table.last_row - table.header_row, 0)
    with open(path, "rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(lines + 1 - table.header_row, 0)


def _rejection_rows(imp, rejections, original):
    cells = json.dumps([_jsonable(v) for v in original])
    return [{"import_id": imp.id, "organization_id": imp.organization_id, "module": imp.module,
             "row": r.row, "column": r.column, "field": r.field,
             "value": None if r.value is None else str(r.value)[:1000],
             "reason": r.reason, "message": r.message, "original": cells, "resolved": False}
            for r in rejections]


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def _flush(session, imp, rows_in_batch, accepted, rejected, rejection_rows, settings):
    if settings.on_batch:
        settings.on_batch(session)
    insert_rows(session, ImportRejection.__table__, rejection_rows)
    session.execute(update(ImportFile).where(ImportFile.id == imp.id).values(
        rows_done=ImportFile.rows_done + rows_in_batch,
        accepted=ImportFile.accepted + accepted,
        rejected=ImportFile.rejected + rejected))
    session.commit()
    session.refresh(imp)


def _validate_only(session, imp, table, validator, settings):
    rows = accepted = rejected = 0
    pending = []
    for number, values in table.rows():
        record, problems = validator.validate(number, values)
        rows += 1
        if record is None:
            rejected += 1
            pending.extend(_rejection_rows(imp, problems, values))
        else:
            accepted += 1
        if rows >= settings.batch_size:
            _flush(session, imp, rows, accepted, rejected, pending, settings)
            rows = accepted = rejected = 0
            pending = []
    _flush(session, imp, rows, accepted, rejected, pending, settings)


def _write_all(session, imp, table, validator, write, settings, keep_rejections=True):
    origin = Origin.of(imp)
    batch, pending = [], []
    rows = rejected = 0
    for number, values in table.rows():
        record, problems = validator.validate(number, values)
        rows += 1
        if record is None:
            rejected += 1
            if keep_rejections:
                pending.extend(_rejection_rows(imp, problems, values))
        else:
            batch.append(record)
        if rows >= settings.batch_size:
            write(session, origin, batch, validator.layout)
            _flush(session, imp, rows, len(batch), rejected if keep_rejections else 0, pending, settings)
            batch, pending = [], []
            rows = rejected = 0
    if batch:
        write(session, origin, batch, validator.layout)
    _flush(session, imp, rows, len(batch), rejected if keep_rejections else 0, pending, settings)
