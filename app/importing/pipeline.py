"""The import job's work: read -> map -> validate -> write in batches -> rejections,
counts and status (ARCHITECTURE.md "The flow"). No Flask here: the job passes a session
and settings.

Here: the file's life (start, spool the stored bytes, fail with a reason) and the
dispatch on the module's declared kind to its runner (tabular, staged, returns_xml).
Every runner writes through app.importing.batches (one transaction per batch).
"""
import os
import tempfile
from typing import Optional

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.errors import TaskSuperseded
from app.importing.batches import Settings
from app.importing.faults import FileRejected
from app.importing.gc_pause import collector_paused
from app.importing.modules import RETURNS_XML, STAGED, TABULAR, declared, module_label
from app.importing.returns.job import import_returns
from app.importing.staging import import_staged
from app.importing.tabular import import_tabular
from app.models import ImportBlob, ImportFile, ImportRejection, StagedRow
from app.models.imports import ImportStatus
from app.models.tasks import utcnow

# A module's kind (its declaration in app.importing.modules) -> the runner of its files:
# runner(session, imp, module, path, settings).
RUNNERS = {TABULAR: import_tabular, STAGED: import_staged, RETURNS_XML: import_returns}


def run_import(session: Session, import_id: int,
               settings: Optional[Settings] = None) -> ImportFile:
    """Process one stored import to its final state; returns the ImportFile."""
    settings = settings or Settings()
    imp = session.get(ImportFile, import_id)
    _start(session, imp)
    path = None
    try:
        # a sheet of a workbook imported with a template set reads its parent's bytes
        path = _spool(session, imp.parent_id if imp.sheet else import_id)
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
    module = declared(imp.module)
    if module is None:
        raise FileRejected("module_not_supported",
                           f"Importing {module_label(imp.module)} is not supported yet.")
    RUNNERS[module.kind](session, imp, module, path, settings)
