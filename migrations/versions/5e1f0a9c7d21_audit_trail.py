"""audit trail: one row per thing someone did (issue 18)

Revision ID: 5e1f0a9c7d21
Revises: 3b7e9c1d2a40
Create Date: 2026-12-06 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a9c7d21'
down_revision = '3b7e9c1d2a40'
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
    # Append-only in the database too: no statement may change an event. (Deleting stays
    # possible: the retention purge does it, and so do the tests between cases.)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE OR REPLACE FUNCTION audit_event_refuse_update() RETURNS trigger "
                   "LANGUAGE plpgsql AS $$ BEGIN "
                   "RAISE EXCEPTION 'the audit trail is append-only'; END $$")
        op.execute("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_update()")
    else:
        op.execute("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
                   "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END")


def downgrade():
    op.drop_table('audit_event')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS audit_event_refuse_update()")
