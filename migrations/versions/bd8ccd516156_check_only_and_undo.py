"""check only and undo: before-images of imported records (issue 19)

Revision ID: bd8ccd516156
Revises: ce8394071772
Create Date: 2026-12-06 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bd8ccd516156'
down_revision = 'ce8394071772'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_before_image',
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('table_name', sa.String(length=60), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('before', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['import_id'], ['import_file.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('import_id', 'table_name', 'record_id'))
    with op.batch_alter_table('import_before_image', schema=None) as batch_op:
        batch_op.create_index('ix_before_image_record', ['table_name', 'record_id'],
                              unique=False)
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dry_run', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('check_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('undo_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('undone_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_column('undone_at')
        batch_op.drop_column('undo_json')
        batch_op.drop_column('check_json')
        batch_op.drop_column('dry_run')
    with op.batch_alter_table('import_before_image', schema=None) as batch_op:
        batch_op.drop_index('ix_before_image_record')
    op.drop_table('import_before_image')
