"""faithful reading: a line's source kind (header or letter), a template's encoding and
sheet positions written "#N", how an import was read and its file-level warnings

Revision ID: 5d1e7a3c9b20
Revises: 5e1a7c3d9b20
Create Date: 2026-12-06 16:00:00

Existing data (decisions, README "Importing files"):
- A line whose source is one or two letters is a column letter when it matches no
  header of the sample: the header row of the template's latest import stands for the
  sample; with no import yet, it is a letter (before, such a source fell back to the
  letter whenever no header matched, and no module's header is that short).
- A sheet of 1 to 3 digits was a position (the reader took digits as a number): it
  becomes "#N", so it keeps its meaning. Longer digit strings ("2025") could never have
  worked as positions; they stay names, which is what they were meant to be.
"""
import json
import re

import sqlalchemy as sa
from alembic import op

revision = '5d1e7a3c9b20'
down_revision = '5e1a7c3d9b20'
branch_labels = None
depends_on = None

_LETTERS = re.compile(r"^[A-Za-z]{1,2}$")


def upgrade():
    with op.batch_alter_table('template_field', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_kind', sa.String(length=10), nullable=False,
                                      server_default='header'))
    with op.batch_alter_table('mapper_template', schema=None) as batch_op:
        batch_op.add_column(sa.Column('encoding', sa.String(length=40), nullable=True))
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_as_json', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('warnings_json', sa.Text(), nullable=True))
    _letters_become_letters()
    _sheet_positions_get_a_hash()


def _normalised(text):
    return " ".join(str(text).split()).casefold()


def _letters_become_letters():
    bind = op.get_bind()
    lines = bind.execute(sa.text(
        "SELECT id, template_id, source_column FROM template_field "
        "WHERE source_column IS NOT NULL")).all()
    samples = {}
    for line_id, template_id, source in lines:
        if not _LETTERS.match(source.strip()):
            continue
        if template_id not in samples:
            header = bind.execute(sa.text(
                "SELECT header_json FROM import_file WHERE template_id = :t "
                "AND header_json IS NOT NULL ORDER BY id DESC LIMIT 1"),
                {"t": template_id}).scalar()
            samples[template_id] = {_normalised(h) for h in json.loads(header)} if header else set()
        if _normalised(source) not in samples[template_id]:
            bind.execute(sa.text("UPDATE template_field SET source_kind = 'letter', "
                                 "source_column = :s WHERE id = :i"),
                         {"s": source.strip().upper(), "i": line_id})


def _sheet_positions_get_a_hash():
    bind = op.get_bind()
    for template_id, sheet in bind.execute(sa.text(
            "SELECT id, sheet FROM mapper_template WHERE sheet IS NOT NULL")).all():
        text = sheet.strip()
        if text.isdigit() and len(text) <= 3 and int(text) >= 1:
            bind.execute(sa.text("UPDATE mapper_template SET sheet = :s WHERE id = :i"),
                         {"s": f"#{int(text)}", "i": template_id})


def downgrade():
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE mapper_template SET sheet = substr(sheet, 2) "
                         "WHERE sheet LIKE '#%'"))
    with op.batch_alter_table('import_file', schema=None) as batch_op:
        batch_op.drop_column('warnings_json')
        batch_op.drop_column('read_as_json')
    with op.batch_alter_table('mapper_template', schema=None) as batch_op:
        batch_op.drop_column('encoding')
    with op.batch_alter_table('template_field', schema=None) as batch_op:
        batch_op.drop_column('source_kind')
