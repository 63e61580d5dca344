"""sync settings' times of day in the organizations' local time (issue 17.7)

Revision ID: ce8394071772
Revises: b796cb9670ae
Create Date: 2026-12-06 19:00:00

Existing data: an integration's sync_time and transfer_sync_time were "HH:MM" in UTC;
they are now read and entered in local time (MUARA_TIME_ZONE, Asia/Jakarta by default),
so each is converted with the zone's offset of the day the migration runs. The schedule
keeps firing at the same moment. Downgrade converts back.
"""
import datetime as dt
import os
import zoneinfo

import sqlalchemy as sa
from alembic import op

revision = 'ce8394071772'
down_revision = 'b796cb9670ae'
branch_labels = None
depends_on = None

COLUMNS = ("sync_time", "transfer_sync_time")


def _offset():
    zone = zoneinfo.ZoneInfo(os.environ.get("MUARA_TIME_ZONE") or "Asia/Jakarta")
    return dt.datetime.now(zone).utcoffset()


def _shift(value, by):
    if not value:
        return value
    moment = dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(value)) + by
    return moment.strftime("%H:%M")


def _convert(by):
    integration = sa.table("integration", sa.column("id", sa.Integer),
                           *(sa.column(c, sa.String(5)) for c in COLUMNS))
    bind = op.get_bind()
    rows = bind.execute(sa.select(integration).where(sa.or_(
        *(integration.c[c].isnot(None) for c in COLUMNS)))).all()
    for row in rows:
        bind.execute(integration.update().where(integration.c.id == row.id).values(
            {c: _shift(getattr(row, c), by) for c in COLUMNS}))


def upgrade():
    _convert(_offset())


def downgrade():
    _convert(-_offset())
