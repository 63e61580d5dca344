"""mail outbox, the uploader's address and the finished-import notice (issue 17.1, 17.12)

Revision ID: b796cb9670ae
Revises: 3f8c2a9d71e4
Create Date: 2026-12-06 19:00:00

Existing data: imports that ended before this migration count as seen, so nobody gets a
notice for every file they ever uploaded.
"""
import sqlalchemy as sa
from alembic import op

revision = 'b796cb9670ae'
down_revision = '3f8c2a9d71e4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('recipient', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.Enum('kept', 'sent', 'not_sent', name='mail_state',
                                   native_enum=False, length=10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('import_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['import_id'], ['import_file.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_message_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_state'), ['state'], unique=False)
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_url', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('result_seen', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.execute("UPDATE import_file SET result_seen = TRUE "
               "WHERE status IN ('archived', 'needs_attention', 'failed') "
               "OR staged_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_column('result_seen')
        batch_op.drop_column('base_url')
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_message_state'))
        batch_op.drop_index(batch_op.f('ix_mail_message_created_at'))
    op.drop_table('mail_message')
