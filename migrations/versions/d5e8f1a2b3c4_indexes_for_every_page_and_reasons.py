"""indexes for every page and the Rejection Log at ten million rows (issue 14): who
uploaded each file (every page asks for its user's finished imports, which read the
whole import_file table without it); an organization's rejections by reason (the log's
reason choice counts them from the index alone)

Revision ID: d5e8f1a2b3c4
Revises: c4d19a7e5b31
Create Date: 2026-12-07 02:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd5e8f1a2b3c4'
down_revision = 'c4d19a7e5b31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.create_index('ix_import_file_uploader', ['uploaded_by_id', 'finished_at'],
                              unique=False)
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.create_index('ix_rejection_reasons', ['organization_id', 'severity', 'reason'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.drop_index('ix_rejection_reasons')
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_index('ix_import_file_uploader')
