"""a customer's balance holds the sum of its invoices (issue 19.4)

Each open invoice's balance fits Numeric(18, 3); the customer's balance is their sum,
which did not (PostgreSQL: numeric field overflow on a file inside Excel's rules).

Revision ID: c4d19a7e5b31
Revises: c4d7e2a91b35
Create Date: 2026-12-06 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d19a7e5b31'
down_revision = 'c4d7e2a91b35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.alter_column('balance', existing_type=sa.Numeric(18, 3),
                              type_=sa.Numeric(30, 3), existing_nullable=False)


def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.alter_column('balance', existing_type=sa.Numeric(30, 3),
                              type_=sa.Numeric(18, 3), existing_nullable=False)
