"""account state: session version and sign-in lockout per login

Revision ID: 5e1a7c3d9b20
Revises: 5e1f0a9c7d21
Create Date: 2026-12-06 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1a7c3d9b20'
down_revision = '5e1f0a9c7d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_state',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_version', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('account_state')
