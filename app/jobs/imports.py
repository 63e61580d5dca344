"""The import job: process a stored file, then tell the uploader (IMP-7)."""
from flask import current_app

from app.extensions import db
from app.importing.pipeline import Settings, run_import
from app.notifications import send_import_result


def process_import(import_id):
    config = current_app.config
    settings = Settings(batch_size=config.get("IMPORT_BATCH_SIZE", 5000),
                        max_unpacked_bytes=config["MAX_UNPACKED_MB"] * 1024 * 1024)
    imp = run_import(db.session, import_id, settings)
    send_import_result(imp)
    return {"import_id": imp.id, "status": str(imp.status), "rows": imp.rows_done,
            "accepted": imp.accepted, "rejected": imp.rejected}
