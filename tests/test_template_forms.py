"""The Template Editor edits mapper templates in forms (TPL-2), through the posts the
screens make after a real login: a template added on /templateview/add, its field lines
added and edited on the field-line view (/templatefieldview/), a line for a field of
another module refused with its message, and the next import reading the file through the
edited lines.
"""
import datetime as dt
import html
import re
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.importing.modules import MODULES
from app.models import MapperTemplate
from tests.factories import (
    ERP_COLUMNS,
    ERP_HEADER,
    ERP_ROWS,
    NAME,
    add_line,
    add_template,
    check_counts,
    erp_file,
    flashes,
    invoices,
    line_id,
    lines,
    run_import,
    screen_form,
    submit,
)


def test_a_template_added_in_the_form_belongs_to_the_editors_organization(app, client,
                                                                          editor):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(MapperTemplate))
    response = add_template(client, editor, header_row="2", sheet="Export",
                            policy="all_or_nothing", file_format="xlsx")
    assert (flashes(response, "success"), flashes(response, "danger")) == (["Added Row"], [])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MapperTemplate)) == before + 1
        template = db.session.execute(select(MapperTemplate).where(
            MapperTemplate.name == NAME)).scalar_one()
        assert (template.organization.code, template.module, template.file_format,
                template.sheet, template.header_row, str(template.policy), template.fields) == \
            ("D1", "open_invoices", "xlsx", "Export", 2, "all_or_nothing", [])


def test_field_lines_added_in_the_form_are_the_templates_mapping(app, client, runner,
                                                                erp_template, tmp_path):
    assert lines(app, erp_template) == {
        field: (column, True, position)
        for position, (field, column) in enumerate(ERP_COLUMNS.items(), start=1)}
    # The template's page lists its lines: position, field, source column.
    page = client.get(f"/templateview/show/{erp_template}").get_data(as_text=True)
    headers = {f.name: f.header for f in MODULES["open_invoices"].fields}
    for position, (field, column) in enumerate(ERP_COLUMNS.items(), start=1):
        # Shown by the field's header in the module ("Invoice #"), not its key.
        shown = re.escape(html.escape(headers[field]))
        assert re.search(rf"<td>{position}</td>\s*<td>{shown}</td>\s*<td>{column}</td>", page), \
            field

    _, out = run_import(runner, erp_file(tmp_path, ERP_HEADER, ERP_ROWS), "open_invoices",
                        "D1", "--template", NAME)
    assert (out["status"], out["rows"], out["accepted"], out["rejections"]) == \
        ("archived", 2, 2, [])
    check_counts(app, out)
    got = invoices(app)
    assert {ref: inv[:4] for ref, inv in got.items()} == {
        "E-1": ("C001", dt.date(2025, 3, 1), Decimal("12.5"), "PO-E1"),
        "E-2": ("C002", dt.date(2025, 3, 2), Decimal("7"), "PO-E2"),
    }


def test_an_edited_line_is_what_the_next_import_reads(app, client, runner, erp_template,
                                                      tmp_path):
    pk = line_id(app, erp_template, "customer_po")
    url = f"/templatefieldview/edit/{pk}"
    # The edit form shows the line as stored.
    shown = dict(screen_form(client, url).fields)
    assert (shown["template"], shown["field"], shown["source_column"], shown["required"]) == \
        (str(erp_template), "customer_po", "PO", "y")

    response = submit(client, url, {"source_column": "Purchase Order"})
    assert (flashes(response, "success"), flashes(response, "danger")) == (["Changed Row"], [])
    assert lines(app, erp_template)["customer_po"] == ("Purchase Order", True, 5)

    renamed = ["Inv No", "Cust", "Date", "Amount", "Purchase Order"]
    _, out = run_import(runner, erp_file(tmp_path, renamed, ERP_ROWS), "open_invoices", "D1",
                        "--template", NAME)
    assert (out["status"], out["accepted"], out["rejections"]) == ("archived", 2, [])
    assert invoices(app)["E-1"][3] == "PO-E1"

    # A file still headed "PO" is now refused, naming the column the line reads.
    _, out = run_import(runner, erp_file(tmp_path, ERP_HEADER, [["E-3", "C001", "2025-03-03",
                                                                 1, "PO-E3"]], name="old.xlsx"),
                        "open_invoices", "D1", "--template", NAME, ok=False)
    assert out["status"] == "failed"
    assert out["error"] == {
        "reason": "missing_column",
        "message": "The file has no column 'Purchase Order', which the template requires. "
                   "Columns found: 'Inv No', 'Cust', 'Date', 'Amount', 'PO'."}
    assert "E-3" not in invoices(app)


def test_a_line_made_optional_with_a_default_fills_the_value(app, client, runner, erp_template,
                                                              tmp_path):
    pk = line_id(app, erp_template, "customer_po")
    response = submit(client, f"/templatefieldview/edit/{pk}",
                      {"source_column": "", "default_value": "NO-PO"}, unchecked=("required",))
    assert (flashes(response, "success"), flashes(response, "danger")) == (["Changed Row"], [])
    source, required, position = lines(app, erp_template)["customer_po"]
    assert (source or None, required, position) == (None, False, 5)  # the form stores ""
    header = ["Inv No", "Cust", "Date", "Amount"]
    _, out = run_import(runner, erp_file(tmp_path, header, [row[:4] for row in ERP_ROWS]),
                        "open_invoices", "D1", "--template", NAME)
    assert (out["status"], out["accepted"], out["rejections"]) == ("archived", 2, [])
    assert {ref: inv[3] for ref, inv in invoices(app).items()} == {"E-1": "NO-PO",
                                                                  "E-2": "NO-PO"}


def test_a_line_for_a_field_of_another_module_is_refused(app, client, erp_template):
    before = lines(app, erp_template)
    response = add_line(client, erp_template, 6, "boxes", "Boxes")
    assert flashes(response, "danger") == [
        "Inventory in Boxes: Boxes is not a field of Open Invoices: choose a field of "
        "Open Invoices."]
    assert flashes(response, "success") == []
    assert lines(app, erp_template) == before


def test_changing_a_line_to_a_field_of_another_module_is_refused_and_changes_nothing(
        app, client, erp_template):
    before = lines(app, erp_template)
    pk = line_id(app, erp_template, "customer_po")
    response = submit(client, f"/templatefieldview/edit/{pk}",
                      {"field": "units_per_box", "source_column": "Units"})
    assert flashes(response, "danger") == [
        "Inventory in Boxes: Units per Box is not a field of Open Invoices: choose a "
        "field of Open Invoices."]
    assert lines(app, erp_template) == before


def test_a_second_line_for_the_same_field_is_a_form_error(app, client, erp_template):
    before = lines(app, erp_template)
    response = submit(client, "/templatefieldview/add", {
        "template": str(erp_template), "position": "9", "field": "balance",
        "source_column": "Total", "required": "y"})
    assert lines(app, erp_template) == before
    assert flashes(response, "success") == []
    # the form comes back with the field error under the Field select
    assert flashes(response, "danger") == ["Already used: Template and Field must be unique."]


def test_a_line_for_another_modules_field_is_refused_in_indonesian(app, client, erp_template):
    """Issue 16: the form's refusal in the reader's language, the field by its
    Indonesian header."""
    client.get("/lang/id")
    response = add_line(client, erp_template, 6, "boxes", "Boxes")
    assert flashes(response, "danger") == [
        "Persediaan dalam Dus: Jumlah Dus bukan kolom data Faktur Terbuka: pilih kolom data "
        "Faktur Terbuka."]
