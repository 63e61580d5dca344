"""background tasks name their job by its new home (jobs live beside the service they run)

Revision ID: 3b7e9c1d2a40
Revises: 858ded5b5f7c
Create Date: 2026-12-06 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e9c1d2a40'
down_revision = '858ded5b5f7c'
branch_labels = None
depends_on = None

# Old dotted path -> new one. A task queued before the upgrade still runs after it, and
# the screens that find tasks by their job (Sync All's result, the service sync guard)
# still find the old ones.
RENAMED = {
    "app.jobs.imports.process_import": "app.services.import_job.process_import",
    "app.jobs.consolidation.sync_all": "app.services.consolidation.sync_all_job",
    "app.jobs.consolidation.daily_run": "app.services.consolidation.daily_run_job",
    "app.jobs.consolidation.consolidate_one": "app.services.consolidation.consolidate_one_job",
    "app.jobs.consolidation.purge": "app.services.consolidation.purge_job",
    "app.jobs.sync.apply_records": "app.services.document_sync.apply.apply_records_job",
    "app.jobs.service_sync.sync_service": "app.services.service_sync.sync_service_job",
}

TASK = sa.table("background_task", sa.column("function", sa.String))


def _rename(pairs):
    for old, new in pairs:
        op.execute(TASK.update().where(TASK.c.function == old).values(function=new))


def upgrade():
    _rename(RENAMED.items())


def downgrade():
    _rename((new, old) for old, new in RENAMED.items())
