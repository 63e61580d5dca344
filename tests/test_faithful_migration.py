"""Migration 5d1e7a3c9b20 (issue 13): existing templates keep what they meant.

A line of one or two letters that matches no header of the template's latest import (the
sample) becomes a column letter; one that matches a header stays a header. A sheet of 1-3
digits was a position and becomes "#N"; a longer one ("2025") is a name."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from app.extensions import db
from app.models import MapperTemplate, Organization
from tests.factories import (
    GOOD_INVOICES,
    invoice_file,
    make_distributor,
    run_import,
)


def _lines(module):
    template = db.session.execute(
        select(MapperTemplate).join(Organization, MapperTemplate.organization_id == Organization.id)
        .where(Organization.code == "D1", MapperTemplate.module == module)).scalar_one()
    return template.sheet, {line.field: (line.source_column, line.source_kind)
                            for line in template.fields}


def test_letters_become_letters_and_small_sheet_numbers_positions(app, runner, tmp_path):
    make_distributor(app)
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))  # the sample of its template
    with app.app_context():
        db.session.remove()
        downgrade(revision="858ded5b5f7c")
        with db.engine.begin() as connection:
            def line(module, field, source):
                connection.execute(text(
                    "UPDATE template_field SET source_column = :s WHERE field = :f AND "
                    "template_id = (SELECT id FROM mapper_template WHERE module = :m)"),
                    {"s": source, "f": field, "m": module})
            line("open_invoices", "reference", "b")        # no header "b": a letter
            line("open_invoices", "customer_po", "a")      # the sample has a header "a"
            line("customers", "code", "C")                 # no import yet: a letter
            line("customers", "name", "Customer Name")     # a header, untouched
            connection.execute(text("UPDATE import_file SET header_json = :h"),
                               {"h": '["Invoice #", "a"]'})
            connection.execute(text("UPDATE mapper_template SET sheet = '2' "
                                    "WHERE module = 'open_invoices'"))
            connection.execute(text("UPDATE mapper_template SET sheet = '2025' "
                                    "WHERE module = 'customers'"))
        upgrade()
        sheet, invoices = _lines("open_invoices")
        assert sheet == "#2"
        assert invoices["reference"] == ("B", "letter")
        assert invoices["customer_po"] == ("a", "header")
        assert invoices["invoice_date"] == ("Invoice Date", "header")
        sheet, customers = _lines("customers")
        assert sheet == "2025"
        assert customers["code"] == ("C", "letter")
        assert customers["name"] == ("Customer Name", "header")
