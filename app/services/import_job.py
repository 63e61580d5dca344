"""The import job: process a stored file, then tell the uploader (IMP-7); a file pushed by
a real-time integration is then consolidated at once (INT-2)."""
from flask import current_app

from app.extensions import db
from app.importing.pipeline import Settings, run_import
from app.models import ImportFile
from app.models.imports import ImportStatus
from app.notifications import send_import_result
from app.queue import beat, job, queue
from app.services.consolidation import consolidate_one_job, consolidates_on_arrival


@job
def process_import(import_id: int) -> dict:
    config = current_app.config
    settings = Settings(batch_size=config.get("IMPORT_BATCH_SIZE", 20000),
                        max_unpacked_bytes=config["MAX_UNPACKED_MB"] * 1024 * 1024,
                        on_batch=beat)
    if db.session.get(ImportFile, import_id) is None:
        return {"import_id": import_id, "status": "deleted"}  # purged while it waited
    try:
        imp = run_import(db.session, import_id, settings)
    except Exception:
        # run_import marked the file failed; the uploader hears of it, the task keeps
        # the traceback.
        imp = db.session.get(ImportFile, import_id)
        if imp is not None and imp.status == ImportStatus.failed:
            send_import_result(imp)
        raise
    send_import_result(imp)
    if imp.staged_at is not None and imp.status == ImportStatus.imported:
        if consolidates_on_arrival(imp):
            queue().submit(consolidate_one_job, imp.id)
    return {"import_id": imp.id, "status": str(imp.status), "rows": imp.rows_done,
            "accepted": imp.accepted, "rejected": imp.rejected}
