"""template sets: the sheets of a workbook mapped to modules, imported as one file with
a child import per sheet (issue 19.5)

Revision ID: 25ce00b1d23e
Revises: cfcf26c6682c
Create Date: 2026-12-06 19:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = '25ce00b1d23e'
down_revision = 'cfcf26c6682c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'template_set',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organization_id', 'name', name='uq_template_set_name'))
    op.create_table(
        'template_set_sheet',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template_set_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('sheet', sa.String(length=100), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['template_id'], ['mapper_template.id']),
        sa.ForeignKeyConstraint(['template_set_id'], ['template_set.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('template_set_id', 'sheet', name='uq_template_set_sheet'))
    with op.batch_alter_table('template_set_sheet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_set_sheet_template_id'), ['template_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_template_set_sheet_template_set_id'),
                              ['template_set_id'], unique=False)
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_set_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sheet', sa.String(length=100), nullable=True))
        batch_op.create_foreign_key('fk_import_file_template_set_id', 'template_set',
                                    ['template_set_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_constraint('fk_import_file_template_set_id', type_='foreignkey')
        batch_op.drop_column('sheet')
        batch_op.drop_column('template_set_id')
    with op.batch_alter_table('template_set_sheet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_set_sheet_template_set_id'))
        batch_op.drop_index(batch_op.f('ix_template_set_sheet_template_id'))
    op.drop_table('template_set_sheet')
    op.drop_table('template_set')
