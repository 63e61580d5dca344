"""The import job: process a stored file, then tell the uploader (IMP-7); a file pushed by
a real-time integration is then consolidated at once (INT-2)."""
from flask import current_app

from app.errors import TaskSuperseded
from app.extensions import db
from app.importing.claim import local_token
from app.importing.pipeline import Settings, run_import
from app.models import ImportFile
from app.models.imports import ImportStatus
from app.models.tasks import utcnow
from app.notifications import send_import_result
from app.queue import beat, job, on_give_up, queue, running_job_id
from app.services.consolidation import consolidate_one_job, consolidates_on_arrival
from app.services.sync_files import follow_import

STOPPED_THE_READER = "The file stopped the reader twice; it may be damaged."
BEING_PROCESSED = "this file is being processed"


@job
def process_import(import_id: int) -> dict:
    config = current_app.config
    settings = Settings(batch_size=config.get("IMPORT_BATCH_SIZE", 20000),
                        max_unpacked_bytes=config["MAX_UNPACKED_MB"] * 1024 * 1024,
                        on_batch=beat, run_token=running_job_id() or local_token(),
                        retry_seconds=config["DB_RETRY_SECONDS"])
    if db.session.get(ImportFile, import_id) is None:
        return {"import_id": import_id, "status": "deleted"}  # purged while it waited
    try:
        imp = run_import(db.session, import_id, settings)
    except TaskSuperseded:
        raise  # another run owns the file now
    except BaseException:
        # run_import marked the file failed (an Exception); what it cannot catch (a
        # BaseException such as a reader's panic) is failed here, so no import stays
        # "processing" after its task ended. The uploader hears of it, the task keeps
        # the traceback.
        db.session.rollback()
        imp = db.session.get(ImportFile, import_id)
        if imp is not None and imp.status == ImportStatus.processing:
            _fail(imp, "internal_error", "The import stopped because the reader failed. "
                                         "Re-process the file once the problem is fixed.")
        if imp is not None and imp.status == ImportStatus.failed:
            _finished(imp)
        raise
    if imp is None:
        # Another run holds the file, or it is not waiting (a second delivery of a run
        # that already ended): nothing to do, nothing to tell.
        current = db.session.get(ImportFile, import_id)
        return {"import_id": import_id, "status": "not run",
                "reason": BEING_PROCESSED if current is not None
                and current.status == ImportStatus.processing else "not waiting"}
    _finished(imp)
    if imp.staged_at is not None and imp.status == ImportStatus.imported:
        if consolidates_on_arrival(imp):
            queue().submit(consolidate_one_job, imp.id)
    return {"import_id": imp.id, "status": str(imp.status), "rows": imp.rows_done,
            "accepted": imp.accepted, "rejected": imp.rejected}


@on_give_up(process_import)
def give_up_import(import_id: int) -> None:
    """The re-queue pass will not run this import again: its worker died twice while
    running it (a file that kills the reader). The import is failed, never left
    "processing", and the uploader hears of it."""
    imp = db.session.get(ImportFile, import_id)
    if imp is None or imp.status not in (ImportStatus.imported, ImportStatus.processing):
        return
    _fail(imp, "reader_stopped", STOPPED_THE_READER)
    _finished(imp)


def _finished(imp):
    """The file's sync record (a pushed file) follows its outcome; the uploader hears."""
    follow_import(imp)
    db.session.commit()
    send_import_result(imp)


def _fail(imp, code, message):
    imp.status = ImportStatus.failed
    imp.error_code, imp.error_message = code, message
    imp.finished_at = utcnow()
    db.session.commit()
