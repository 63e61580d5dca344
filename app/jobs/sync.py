"""Sync jobs: apply an integration's records (SYN-3), and the schedule check (INT-2)."""
from app.models.tasks import utcnow
from app.services import sync


def apply_records(integration_id, groups, trigger):
    return sync.apply_pending(integration_id, groups, trigger)


def run_due_syncs_job():
    return [list(pair) for pair in sync.run_due_syncs(utcnow())]
