"""Issue 13 on the template side: a line says whether its source is a header or a column
letter (form, proposal, export/import), a template may fix the CSV encoding, and sheets
are named by name or "#N"."""
import json

from sqlalchemy import select

from app.extensions import db
from app.models import MapperTemplate, TemplateField
from app.services.templates import export_template
from tests.conftest import login
from tests.factories import (
    ERP_ROWS,
    NAME,
    erp_file,
    error_text,
    flashes,
    form_data,
    import_file,
    invoices,
    line_id,
    propose,
    read_form,
    run_import,
    sample_xlsx,
    submit,
)


def _template(app, name):
    with app.app_context():
        template = db.session.scalar(select(MapperTemplate).where(MapperTemplate.name == name))
        return (template.encoding, template.sheet,
                [(line.field, line.source_column, line.source_kind) for line in template.fields])


def test_the_proposal_offers_columns_by_letter_and_keeps_the_choice(app, client, orgs):  # noqa: F811 - a fixture
    login(client, "editor_a")
    html = propose(client, sample_xlsx(), sheet="#1").get_data(as_text=True)
    form = read_form(html, "template-confirm-form")
    data = form_data(form, name="By letter", column__customer_po="letter:e",
                     column__location="")
    response = client.post("/templateview/propose", data=data)
    assert response.status_code == 302, error_text(response)
    _encoding, sheet, lines = _template(app, "By letter")
    assert sheet == "#1"
    assert ("customer_po", "E", "letter") in lines
    assert ("reference", "invoice no", "header") in lines


def test_a_line_by_letter_is_checked_in_the_form_and_imports_by_position(
        app, client, runner, erp_template, tmp_path):  # noqa: F811 - a fixture
    pk = line_id(app, erp_template, "customer_po")
    response = submit(client, f"/templatefieldview/edit/{pk}",
                      {"source_column": "1A", "source_kind": "letter"})
    assert flashes(response, "danger") == [
        "field customer_po: 1A is not a column letter (A to XFD)"]
    response = submit(client, f"/templatefieldview/edit/{pk}",
                      {"source_column": "e", "source_kind": "letter"})
    assert flashes(response, "success") == ["Changed Row"]
    with app.app_context():
        line = db.session.get(TemplateField, pk)
        assert (line.source_column, line.source_kind) == ("E", "letter")
    header = ["Inv No", "Cust", "Date", "Amount", "Whatever it is called"]
    rows = [[*row[:4], "PO-E"] for row in ERP_ROWS]
    _, out = run_import(runner, erp_file(tmp_path, header, rows), "open_invoices", "D1",
                        "--template", NAME)
    assert out["accepted"] == 2, out
    assert {inv[3] for inv in invoices(app).values()} == {"PO-E"}


def test_export_keeps_the_source_kind_and_encoding_and_old_files_read_letters(app, client, orgs):  # noqa: F811 - a fixture
    with app.app_context():
        template = db.session.get(MapperTemplate, orgs.template_a)
        template.encoding = "cp1250"
        template.fields[0].source_column, template.fields[0].source_kind = "B", "letter"
        db.session.commit()
        document = json.loads(export_template(template))
    assert document["encoding"] == "cp1250"
    assert (document["fields"][0]["source_column"], document["fields"][0]["source_kind"]) == \
        ("B", "letter")
    login(client, "editor_b")
    assert import_file(client, json.dumps(document).encode(), name="Copy").status_code == 302
    assert _template(app, "Copy")[0] == "cp1250"
    assert _template(app, "Copy")[2][0][1:] == ("B", "letter")
    # A file exported before lines said their kind: one or two letters are a letter.
    del document["fields"][0]["source_kind"]
    document["fields"][0]["source_column"] = "ab"
    assert import_file(client, json.dumps(document).encode(), name="Old").status_code == 302
    assert _template(app, "Old")[2][0][1:] == ("AB", "letter")
    document["encoding"] = "klingon"
    response = import_file(client, json.dumps(document).encode(), name="Bad")
    assert response.status_code == 400
    assert "&#39;klingon&#39; is not a known text encoding" in error_text(response)
