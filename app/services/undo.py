"""Undo an import (issue 19): the refusals (still processing or waiting to be
consolidated, already undone, past the retention), the plan shown
before anything happens, and the job that undoes it batch by batch (app.importing.undo).
Undo of an undo is a re-process of the file."""
import datetime as dt

from flask import current_app
from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.importing.batches import Settings
from app.importing.before_images import imaged
from app.importing.modules import module_label
from app.importing.undo import plan, result, run_undo
from app.models import ImportBeforeImage, ImportFile
from app.models.imports import ImportStatus
from app.models.tasks import BackgroundTask, utcnow
from app.queue import beat, job, queue
from app.security.audit import record
from app.services.transaction import owns_transaction

UNDOABLE = (ImportStatus.archived, ImportStatus.needs_attention, ImportStatus.undoing)


def refusal(imp: ImportFile) -> str | None:
    """Why this file cannot be undone now, or None."""
    if imaged(imp.module) is None:
        return f"Undo is not available for {module_label(imp.module)}."
    if imp.status == ImportStatus.imported and imp.staged_at is not None:
        return (f"Import #{imp.id} is waiting to be consolidated: nothing of it was "
                "written to the consolidated records yet, so there is nothing to undo.")
    if imp.status in (ImportStatus.imported, ImportStatus.processing):
        return f"Import #{imp.id} is still {imp.status.label.lower()}: wait until it ends."
    if imp.status == ImportStatus.undone:
        return (f"Import #{imp.id} is already undone. To import it again, re-process "
                "the file.")
    if imp.status == ImportStatus.checked:
        return f"Import #{imp.id} was only checked: it wrote nothing to undo."
    if imp.status not in UNDOABLE:
        return f"Import #{imp.id} failed: it wrote nothing to undo."
    days = current_app.config["RETENTION_DAYS"]
    if imp.uploaded_at < utcnow() - dt.timedelta(days=days):
        return (f"Import #{imp.id} is older than the retention period ({days} days): it "
                "can no longer be undone.")
    if (imp.consolidated_records and imp.status != ImportStatus.undoing
            and db.session.scalar(select(ImportBeforeImage.import_id)
                                  .where(ImportBeforeImage.import_id == imp.id).limit(1))
            is None):
        return (f"Import #{imp.id} was consolidated before its consolidation kept what it "
                "changed: it cannot be undone.")
    return None


def undo_plan(imp: ImportFile) -> dict:
    """The counts the confirmation page shows (one table per tabular module)."""
    return plan(db.session, imp)


@owns_transaction
def request_undo(imp: ImportFile) -> BackgroundTask:
    """Queue the undo of a file; MuaraError says why not. A file whose undo was cut short
    (state "undoing") may be asked again: the undo goes on where it stopped."""
    reason = refusal(imp)
    if reason:
        raise MuaraError(reason)
    imp.status = ImportStatus.undoing
    record("undo", "import_file", imp.id, imp.organization.code, imp.filename)
    db.session.flush()
    task = queue().submit(undo_import, imp.id)
    imp.task_id = task.id
    return task


@job
def undo_import(import_id: int) -> dict:
    imp = db.session.get(ImportFile, import_id)
    if imp is None:
        return {"import_id": import_id, "status": "deleted"}
    if imp.status != ImportStatus.undoing:  # delivered twice: already done
        return result(imp)
    config = current_app.config
    settings = Settings(batch_size=config.get("IMPORT_BATCH_SIZE", 20000), on_batch=beat)
    return run_undo(db.session, import_id, settings)
