"""audit trail: one row per thing someone did (issue 18)

Revision ID: 5e1f0a9c7d21
Revises: 858ded5b5f7c
Create Date: 2026-12-06 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a9c7d21'
down_revision = '858ded5b5f7c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('entity', sa.String(length=60), nullable=True),
        sa.Column('entity_id', sa.String(length=40), nullable=True),
        sa.Column('organization', sa.String(length=40), nullable=True),
        sa.Column('summary', sa.String(length=300), nullable=True),
        sa.Column('changes', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_org_at', ['organization', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)


def downgrade():
    op.drop_table('audit_event')
