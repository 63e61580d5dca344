"""indexes that serve an Admin's and a principal's Open Invoices at ten million rows
(issue 14): every organization's invoices newest first; a Customer PO search whoever
searches

Revision ID: c4d7e2a91b35
Revises: 8a3b2db0dd4e
Create Date: 2026-12-06 22:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4d7e2a91b35'
down_revision = '8a3b2db0dd4e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('open_invoice', schema=None) as batch_op:
        batch_op.create_index('ix_open_invoice_date', ['invoice_date', 'id'], unique=False)
        # (organization, PO) served only a distributor's own search; a PO is selective
        # enough alone, so one index serves the distributor, its principal and an Admin.
        batch_op.drop_index('ix_open_invoice_org_po')
        batch_op.create_index('ix_open_invoice_po', ['customer_po'], unique=False)


def downgrade():
    with op.batch_alter_table('open_invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_open_invoice_po')
        batch_op.create_index('ix_open_invoice_org_po', ['organization_id', 'customer_po'],
                              unique=False)
        batch_op.drop_index('ix_open_invoice_date')
