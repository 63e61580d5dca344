"""indexes that serve the Open Invoices screen at ten million rows (issue 14)

Revision ID: 98e1038ad3f1
Revises: 25ce00b1d23e
Create Date: 2026-12-06 19:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '98e1038ad3f1'
down_revision = '25ce00b1d23e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('open_invoice', schema=None) as batch_op:
        batch_op.create_index('ix_open_invoice_org_date',
                              ['organization_id', 'invoice_date', 'id'], unique=False)
        batch_op.create_index('ix_open_invoice_org_po', ['organization_id', 'customer_po'],
                              unique=False)
        batch_op.create_index('ix_open_invoice_customer_date', ['customer_id', 'invoice_date'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('open_invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_open_invoice_customer_date')
        batch_op.drop_index('ix_open_invoice_org_po')
        batch_op.drop_index('ix_open_invoice_org_date')
