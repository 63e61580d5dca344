"""fixed rows: a child import names its parent file, and a rejection names the import
that resolved it (issue 19, fix rejected rows in the browser)

Revision ID: 4b4a12e036f7
Revises: 7a2c4e6b8d10
Create Date: 2026-12-06 19:00:00

Existing data: no file has a parent and no rejection was resolved by an import, so both
columns start empty.
"""
import sqlalchemy as sa
from alembic import op

revision = '4b4a12e036f7'
down_revision = '7a2c4e6b8d10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_import_file_parent_id', ['parent_id'], unique=False)
        batch_op.create_foreign_key('fk_import_file_parent_id', 'import_file',
                                    ['parent_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_import_rejection_resolved_by_id', 'import_file',
                                    ['resolved_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.drop_constraint('fk_import_rejection_resolved_by_id', type_='foreignkey')
        batch_op.drop_column('resolved_by_id')
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_constraint('fk_import_file_parent_id', type_='foreignkey')
        batch_op.drop_index('ix_import_file_parent_id')
        batch_op.drop_column('parent_id')
