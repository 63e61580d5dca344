"""Sync Master Data / Sync Transaction of an integration's OAuth service (INT-3)."""
from app.extensions import db
from app.jobs.runner import beat
from app.models import Integration
from app.services.service_sync import run_sync


def sync_service(integration_id, group):
    integration = db.session.get(Integration, integration_id)
    if integration is None:
        return {"status": "gone"}
    run = run_sync(integration, group, heartbeat=beat)
    return {"run_id": run.id, "succeeded": run.succeeded, "failed": run.failed,
            "message": run.message}
