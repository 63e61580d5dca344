"""one run per import: the import row names the run that may write it (run_token) and
counts the batches that run committed (run_batches)

Revision ID: cfcf26c6682c
Revises: bd8ccd516156
Create Date: 2026-12-06 19:00:00

Existing data: no import holds a claim; a file left "processing" by an older worker is
claimable by the next run the re-queue pass delivers (a missing token counts as a dead
run).
"""
import sqlalchemy as sa
from alembic import op

revision = 'cfcf26c6682c'
down_revision = 'bd8ccd516156'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('run_batches', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_column('run_batches')
        batch_op.drop_column('run_token')
