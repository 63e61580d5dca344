"""Consolidation jobs: Sync All of a principal, the daily run, one file in real time, and
the retention purge. Thin: the work is in app.services.consolidation."""
from app.jobs.runner import beat
from app.services import audit, consolidation


def sync_all(principal_id):
    return consolidation.run_sync_all(principal_id, checkpoint=beat)


def daily_run():
    return consolidation.run_daily(checkpoint=beat)


def consolidate_one(import_id):
    return consolidation.consolidate([import_id], checkpoint=beat)


def purge():
    return {**consolidation.purge_old_files(), **audit.purge_old_events()}
