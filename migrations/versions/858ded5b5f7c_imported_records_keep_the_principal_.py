"""imported records keep the principal they are shared with (visible after the purge)

Revision ID: 858ded5b5f7c
Revises: 48230858f9c3
Create Date: 2026-12-01 00:49:13.992359

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '858ded5b5f7c'
down_revision = '48230858f9c3'
branch_labels = None
depends_on = None

TABLES = ("balance_adjustment", "customer_return", "open_invoice", "stock_entry")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('principal_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f'fk_{table}_principal_id', 'organization',
                                        ['principal_id'], ['id'], ondelete='SET NULL')
        # Records whose file is still there take that file's principal; those whose file
        # was already purged stay unshared (the file was the only record of it).
        op.execute(f"UPDATE {table} SET principal_id = (SELECT import_file.principal_id "
                   f"FROM import_file WHERE import_file.id = {table}.import_id) "
                   f"WHERE import_id IS NOT NULL")


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_principal_id', type_='foreignkey')
            batch_op.drop_column('principal_id')
