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

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.errors import TaskSuperseded
from app.importing.batches import Settings
from app.importing.claim import claim, release
from app.importing.faults import FileRejected
from app.importing.gc_pause import collector_paused
from app.importing.modules import RETURNS_XML, STAGED, TABULAR, Module, declared, module_label
from app.importing.retry import (
    DatabaseUnavailable,
    Retries,
    retry_kind,
    retrying,
    rollback_quietly,
)
from app.importing.staging import import_staged
from app.importing.tabular import import_tabular
from app.models import ImportBlob, ImportFile, ImportRejection, StagedRow
from app.models.imports import ImportStatus
from app.models.tasks import utcnow


def _import_returns(session: Session, imp: ImportFile, module: Module, path: str,
                    settings: Settings) -> None:
    """Customer returns' runner, loaded with their XML reader and rules when a returns
    file runs: no other import, nor any command's start, needs them (issue 15)."""
    from app.importing.returns.job import import_returns
    import_returns(session, imp, module, path, settings)


# A module's kind (its declaration in app.importing.modules) -> the runner of its files:
# runner(session, imp, module, path, settings).
RUNNERS = {TABULAR: import_tabular, STAGED: import_staged, RETURNS_XML: _import_returns}


def run_import(session: Session, import_id: int,
               settings: Optional[Settings] = None) -> Optional[ImportFile]:
    """Process one stored import to its final state; returns the ImportFile, or None when
    the file is not this run's to process (another run holds it, or it is not waiting).

    The run claims the import row first (app.importing.claim). A database error that a
    retry may cure, met outside a batch's own retry (reading the template, the final
    balances), runs the file again from the start after a back-off: the claim is the
    run's still, the counters start from zero and the records upsert. A connection lost
    for longer than the retry time fails the file with that reason."""
    settings = settings or Settings()
    settings.batches = 0  # a run counts its own batches (one job may run several files)
    retries = settings.retry_budget()
    while True:
        try:
            return _run_once(session, import_id, settings)
        except (DBAPIError, DatabaseUnavailable) as exc:
            rollback_quietly(session)
            try:
                if isinstance(exc, DatabaseUnavailable):
                    raise exc
                retries.wait_or_raise(exc)
            except DatabaseUnavailable as lost:
                _fail(session, import_id, settings, "database_unavailable",
                      unreachable_message(lost.seconds))
                raise
            except DBAPIError as failed:
                _fail(session, import_id, settings, "internal_error",
                      internal_error_message(failed))
                raise
            settings.batches = 0


def unreachable_message(seconds: float) -> str:
    return (f"The database could not be reached for {_duration(seconds)} while the file "
            "was processed, so the import stopped. Records of batches that were committed "
            "are kept; Re-process the file to import it whole.")


def internal_error_message(exc: BaseException) -> str:
    return (f"The import stopped because of an internal error ({type(exc).__name__}). "
            "Re-process the file once the problem is fixed.")


def _duration(seconds):
    minutes = round(seconds / 60)
    if seconds >= 60 and minutes * 60 == round(seconds):
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def _run_once(session, import_id, settings):
    if not _start(session, import_id, settings.run_token):
        return None
    imp = session.get(ImportFile, import_id)
    path = None
    try:
        # a sheet of a workbook imported with a template set reads its parent's bytes
        path = _spool(session, imp.parent_id if imp.sheet else import_id)
        with collector_paused():
            _process(session, imp, path, settings)
        _release(session, import_id, settings.run_token)
    except TaskSuperseded:
        session.rollback()  # another run owns the file now
        raise
    except FileRejected as fault:
        session.rollback()
        _fail(session, import_id, settings, fault.code, fault.message)
    except Exception as exc:
        if retry_kind(exc) is not None or isinstance(exc, DatabaseUnavailable):
            raise  # run_import retries or fails the file with the reason
        # Never leave the file "processing" for ever: what was committed stays (its counts
        # match it), the file is failed, and the task keeps the traceback (re-raised).
        session.rollback()
        _fail(session, import_id, settings, "internal_error", internal_error_message(exc))
        raise
    finally:
        if path:
            os.unlink(path)
    return session.get(ImportFile, import_id)


def _fail(session, import_id, settings, code, message):
    """The file failed with its reason, if this run still holds it (a run that lost its
    claim leaves the file to the run that has it). Retried while the database asks."""
    token = settings.run_token

    def fail():
        session.execute(
            update(ImportFile).where(ImportFile.id == import_id, ImportFile.run_token == token)
            .values(status=ImportStatus.failed, error_code=code, error_message=message,
                    finished_at=utcnow(), run_token=None)
            .execution_options(synchronize_session=False))

    rollback_quietly(session)
    retrying(session, fail, Retries(settings.retry_seconds))
    session.expire_all()


def _start(session, import_id, token):
    """Claim the file and clear what an earlier run left; whether it is this run's."""
    if not claim(session, import_id, token):
        session.rollback()
        return False
    session.execute(delete(ImportRejection).where(ImportRejection.import_id == import_id))
    session.execute(delete(StagedRow).where(StagedRow.import_id == import_id))
    session.commit()
    return True


def _release(session, import_id, token):
    """The final state is written: the claim is given back (a lost connection here only
    leaves a token that no waiting state looks at)."""
    try:
        release(session, import_id, token)
        session.commit()
    except DBAPIError:
        rollback_quietly(session)


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
