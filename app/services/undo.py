"""Undo an import (issue 19): the refusals (still processing or waiting to be
consolidated, already undone, past the retention), the plan shown
before anything happens, and the job that undoes it batch by batch (app.importing.undo).
Undo of an undo is a re-process of the file.

A workbook of a template set (issue 19.5) is one import of several sheets: its undo undoes
each sheet that wrote records, in the reverse of the order they were imported (its
invoices before the customers they use), in one job; the workbook's result sums them.
"""
import datetime as dt
import json

from flask import current_app
from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.importing.batches import Settings
from app.importing.before_images import imaged
from app.importing.modules import TEMPLATE_SET, module_label
from app.importing.undo import KEPT_LISTED, plan, result, run_undo
from app.models import ImportBeforeImage, ImportFile
from app.models.imports import ImportStatus
from app.models.tasks import BackgroundTask, utcnow
from app.queue import beat, job, queue
from app.security.audit import record
from app.services.transaction import owns_transaction

UNDOABLE = (ImportStatus.archived, ImportStatus.needs_attention, ImportStatus.undoing)


def refusal(imp: ImportFile) -> str | None:
    """Why this file cannot be undone now, or None."""
    if imp.module == TEMPLATE_SET:
        return _workbook_refusal(imp)
    if imaged(imp.module) is None:
        return f"Undo is not available for {module_label(imp.module)}."
    if imp.status == ImportStatus.imported and imp.staged_at is not None:
        return (f"Import #{imp.id} is waiting to be consolidated: nothing of it was "
                "written to the consolidated records yet, so there is nothing to undo.")
    refused = _state_refusal(imp)
    if refused:
        return refused
    if imp.status not in UNDOABLE:
        return f"Import #{imp.id} failed: it wrote nothing to undo."
    if _past_retention(imp):
        return _past_retention(imp)
    if (imp.consolidated_records and imp.status != ImportStatus.undoing
            and db.session.scalar(select(ImportBeforeImage.import_id)
                                  .where(ImportBeforeImage.import_id == imp.id).limit(1))
            is None):
        return (f"Import #{imp.id} was consolidated before its consolidation kept what it "
                "changed: it cannot be undone.")
    return None


def _state_refusal(imp: ImportFile) -> str | None:
    """Why a file in its state cannot be undone (running, undone, only checked), or None."""
    if imp.status in (ImportStatus.imported, ImportStatus.processing):
        return f"Import #{imp.id} is still {imp.status.label.lower()}: wait until it ends."
    if imp.status == ImportStatus.undone:
        return (f"Import #{imp.id} is already undone. To import it again, re-process "
                "the file.")
    if imp.status == ImportStatus.checked:
        return f"Import #{imp.id} was only checked: it wrote nothing to undo."
    return None


def _past_retention(imp: ImportFile) -> str | None:
    days = current_app.config["RETENTION_DAYS"]
    if imp.uploaded_at < utcnow() - dt.timedelta(days=days):
        return (f"Import #{imp.id} is older than the retention period ({days} days): it "
                "can no longer be undone.")
    return None


def _workbook_refusal(imp: ImportFile) -> str | None:
    """A workbook is refused as a file is; it may be undone when one of its sheets wrote
    records, even if another sheet failed (the workbook is then Failed)."""
    refused = _state_refusal(imp) or _past_retention(imp)
    if refused:
        return refused
    if not _undoable_sheets(imp):
        return (f"Import #{imp.id} failed: it wrote nothing to undo."
                if imp.status == ImportStatus.failed else
                f"Import #{imp.id}: each of its sheets is undone already.")
    return None


def _undoable_sheets(imp: ImportFile) -> list[ImportFile]:
    """A workbook's sheets that wrote records and are not undone, last imported first."""
    from app.services.template_sets import sheet_imports
    return [sheet for sheet in reversed(sheet_imports(imp)) if sheet.status in UNDOABLE]


def undo_plan(imp: ImportFile) -> list[dict]:
    """The counts the confirmation page shows: one line per table (a workbook: per sheet,
    in the order they are undone, each naming its sheet)."""
    if imp.module == TEMPLATE_SET:
        return [dict(plan(db.session, sheet), sheet=sheet.sheet)
                for sheet in _undoable_sheets(imp)]
    return [plan(db.session, imp)]


@owns_transaction
def request_undo(imp: ImportFile) -> BackgroundTask:
    """Queue the undo of a file; MuaraError says why not. A file whose undo was cut short
    (state "undoing") may be asked again: the undo goes on where it stopped."""
    reason = refusal(imp)
    if reason:
        raise MuaraError(reason)
    if imp.module == TEMPLATE_SET:  # the sheets this undo undoes (more if asked again)
        sheets = _undoable_sheets(imp)
        for sheet in sheets:
            sheet.status = ImportStatus.undoing
        asked = json.loads(imp.undo_json or "null") or {}
        imp.undo_json = json.dumps({"sheet_ids": sorted(
            set(asked.get("sheet_ids", [])) | {sheet.id for sheet in sheets})})
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
    if imp.module == TEMPLATE_SET:
        return _undo_workbook(imp, settings)
    return run_undo(db.session, import_id, settings)


def _undo_workbook(imp: ImportFile, settings: Settings) -> dict:
    """Each sheet being undone, last imported first, each as a file is (batch by batch,
    so a workbook's undo cut short goes on where it stopped); then the sums."""
    from app.services.template_sets import sheet_imports
    asked = set(json.loads(imp.undo_json or "null").get("sheet_ids", []))
    sheets = [sheet for sheet in reversed(sheet_imports(imp)) if sheet.id in asked]
    for sheet in sheets:
        if sheet.status == ImportStatus.undoing:
            run_undo(db.session, sheet.id, settings)
    state = {"removed": 0, "restored": 0, "kept_count": 0, "kept": [], "sheets": [],
             "sheet_ids": sorted(asked)}
    for sheet in sheets:
        part = result(sheet)
        for key in ("removed", "restored", "kept_count"):
            state[key] += part[key]
        state["kept"].extend(dict(kept, sheet=sheet.sheet) for kept in part["kept"])
        state["sheets"].append({"sheet": sheet.sheet, "module": sheet.module,
                                "import_id": sheet.id, "removed": part["removed"],
                                "restored": part["restored"],
                                "kept_count": part["kept_count"]})
    del state["kept"][KEPT_LISTED:]
    imp.undo_json = json.dumps(state)
    imp.status, imp.undone_at = ImportStatus.undone, utcnow()
    db.session.commit()
    return result(imp)
