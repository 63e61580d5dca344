"""languages and time zones: an organization's language and time zone, a login's own
language (issue 16)

Revision ID: 7a2c4e6b8d10
Revises: 5d1e7a3c9b20
Create Date: 2026-12-06 19:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7a2c4e6b8d10'
down_revision = '5d1e7a3c9b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization') as batch:
        batch.add_column(sa.Column('language', sa.String(8), nullable=False,
                                   server_default='en'))
        batch.add_column(sa.Column('time_zone', sa.String(64), nullable=False,
                                   server_default='Asia/Jakarta'))
    with op.batch_alter_table('account_state') as batch:
        batch.add_column(sa.Column('language', sa.String(8), nullable=True))


def downgrade():
    with op.batch_alter_table('account_state') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('organization') as batch:
        batch.drop_column('time_zone')
        batch.drop_column('language')
