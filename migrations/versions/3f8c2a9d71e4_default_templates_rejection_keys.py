"""default templates and rejections closed by a later file: a template marked as its
module's default (one per organization and module), a rejection's natural key (the file
that resolved it: resolved_by_id, added by 4b4a12e036f7) (issue 17)

Revision ID: 3f8c2a9d71e4
Revises: 4b4a12e036f7
Create Date: 2026-12-06 19:00:00

Existing data: where an organization has exactly one template for a module, that
template becomes the module's default (it was already the one used); where it has
several, none is marked (as before, the upload asks which one until a Template Editor
marks a default). Existing rejections get no natural key: only rejections logged from
now on are resolved by a later file.
"""
import sqlalchemy as sa
from alembic import op

revision = '3f8c2a9d71e4'
down_revision = '4b4a12e036f7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mapper_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_default', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index('uq_template_module_default', ['organization_id', 'module'],
                              unique=True, sqlite_where=sa.text('is_default'),
                              postgresql_where=sa.text('is_default'))
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('natural_key', sa.Text(), nullable=True))
        batch_op.create_index('ix_rejection_natural_key',
                              ['organization_id', 'module', 'natural_key'], unique=False)
    op.get_bind().execute(sa.text(
        "UPDATE mapper_template SET is_default = :yes WHERE id IN ("
        " SELECT MIN(id) FROM mapper_template GROUP BY organization_id, module"
        " HAVING COUNT(*) = 1)"), {"yes": True})


def downgrade():
    with op.batch_alter_table('import_rejection', schema=None) as batch_op:
        batch_op.drop_index('ix_rejection_natural_key')
        batch_op.drop_column('natural_key')
    with op.batch_alter_table('mapper_template', schema=None) as batch_op:
        batch_op.drop_index('uq_template_module_default')
        batch_op.drop_column('is_default')
