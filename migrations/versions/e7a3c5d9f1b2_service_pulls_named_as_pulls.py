"""background tasks of service pulls name their job by its new name (issue 12: "sync"
named four things; a service pull is a pull, app/services/service_pull.py)

Revision ID: e7a3c5d9f1b2
Revises: d5e8f1a2b3c4
Create Date: 2026-12-07 05:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a3c5d9f1b2'
down_revision = 'd5e8f1a2b3c4'
branch_labels = None
depends_on = None

# Old dotted path -> new one: a pull queued before the upgrade still runs after it, and
# the service link screen's "already queued or running?" guard still finds it.
RENAMED = {
    "app.services.service_sync.sync_service_job": "app.services.service_pull.pull_service_job",
}

TASK = sa.table("background_task", sa.column("function", sa.String))


def _rename(pairs):
    for old, new in pairs:
        op.execute(TASK.update().where(TASK.c.function == old).values(function=new))


def upgrade():
    _rename(RENAMED.items())


def downgrade():
    _rename((new, old) for old, new in RENAMED.items())
