"""the return's number on a customer-returns message (issue 17 item 10)

Revision ID: 8a3b2db0dd4e
Revises: 98e1038ad3f1
Create Date: 2026-12-06 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a3b2db0dd4e'
down_revision = '98e1038ad3f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.drop_column('document')
