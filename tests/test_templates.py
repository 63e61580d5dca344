"""Mapper template tools (TPL-2, TPL-4) through real HTTP after a real login: export and
import as a file, the mapping proposed from a sample file, who may use them, and tenant
isolation. The proposed-mapping matcher is also tested on its own (pure Python).
"""
import json
import re

import pytest
from sqlalchemy import func, select
from werkzeug.http import parse_options_header

from app.extensions import db
from app.importing.matching import THRESHOLD, normalise, propose_mapping
from app.importing.modules import MODULES
from app.models import Customer, MapperTemplate, Organization, TemplateField
from app.security import roles
from app.services.directory import add_integration, connect
from app.services.templates import LINE_ATTRIBUTES
from tests.conftest import denied, login
from tests.factories import (
    SAMPLE_HEADERS,
    error_text,
    file_part,
    form_data,
    import_file,
    propose,
    read_form,
    sample_xlsx,
)

OPEN_INVOICES = MODULES["open_invoices"]


# --- the matcher on its own ----------------------------------------------------------


def mapping(headers, module=OPEN_INVOICES):
    return {p.field: p for p in propose_mapping(headers, module)}


def test_sample_headers_map_to_the_right_fields():
    proposals = mapping(SAMPLE_HEADERS)
    assert {f: p.header for f, p in proposals.items()} == {
        "reference": "invoice no", "customer": "cust code", "invoice_date": "date of invoice",
        "balance": "balance", "customer_po": "PO", "location": "location"}
    assert {f: p.column_index for f, p in proposals.items()} == {
        "reference": 0, "customer": 1, "invoice_date": 2, "balance": 3, "customer_po": 4,
        "location": 5}


def test_alias_matches_are_certain_and_guesses_are_not():
    proposals = mapping(SAMPLE_HEADERS)
    # "Invoice No", "Balance" and "PO" are declared aliases: exact after normalising.
    for field in ("reference", "balance", "customer_po"):
        assert proposals[field].confidence == 1.0, field
    # The others are guesses: confident enough to propose, never certain.
    for field in ("customer", "invoice_date", "location"):
        assert THRESHOLD <= proposals[field].confidence < 1.0, (field, proposals[field])


def test_documented_headers_give_full_confidence():
    headers = [f.header for f in OPEN_INVOICES.fields]
    for index, proposal in enumerate(propose_mapping(headers, OPEN_INVOICES)):
        assert proposal.header == headers[index]
        assert proposal.column_index == index
        assert proposal.confidence == 1.0


def test_case_spaces_and_punctuation_do_not_matter():
    headers = ["  INVOICE   No. ", "customer_code", "Invoice-Date", "invoice balance",
               "CUSTOMER PO #", "location.code"]
    proposals = propose_mapping(headers, OPEN_INVOICES)
    assert [p.column_index for p in proposals] == [0, 1, 2, 3, 4, 5]
    assert all(p.confidence == 1.0 for p in proposals), proposals
    assert normalise("Invoice #") == normalise("invoice no.") == "invoice no"


def test_each_column_feeds_one_field_at_most_best_first():
    # "Balance" is an alias of the balance field only; "Invoice Balance" is its header.
    # Both columns fit the field, but it takes the exact one; the other stays free.
    proposals = mapping(["Invoice Balance", "Balance", "Invoice #"])
    assert proposals["balance"].header == "Invoice Balance"
    used = [p.column_index for p in proposals.values() if p.column_index is not None]
    assert len(used) == len(set(used))


def test_unrelated_headers_give_no_proposal():
    proposals = mapping(["xyz", "Foo", "Kolom 7", ""])
    for field, proposal in proposals.items():
        assert proposal.header is None and proposal.column_index is None, (field, proposal)
        assert proposal.confidence == 0.0


def test_a_column_without_a_fitting_field_is_left_out():
    proposals = mapping(["Invoice #", "Customer Code", "Salesman"])
    assert "Salesman" not in {p.header for p in proposals.values()}
    assert proposals["invoice_date"].header is None


def test_other_modules_and_abbreviations():
    boxes = mapping(["Item Code", "Location", "Qty (boxes)", "Units/Box", "Date"],
                    MODULES["inventory_boxes"])
    assert {f: p.header for f, p in boxes.items()} == {
        "product": "Item Code", "location": "Location", "boxes": "Qty (boxes)",
        "units_per_box": "Units/Box", "entry_date": "Date"}
    products = mapping(["Customer Code", "Name", "UOM"], MODULES["products"])
    # A customer column is not a product code.
    assert products["code"].header is None
    assert products["unit"].header == "UOM"


# --- fixtures for the screens --------------------------------------------------------


def template_snapshot(app, template_id):
    with app.app_context():
        template = db.session.get(MapperTemplate, template_id)
        return {
            "name": template.name, "module": template.module, "file_format": template.file_format,
            "sheet": template.sheet, "header_row": template.header_row,
            "policy": str(template.policy),
            "lines": [{attr: getattr(line, attr) for attr in LINE_ATTRIBUTES}
                      for line in template.fields],
        }


def templates_of(app, org_id):
    with app.app_context():
        return sorted(db.session.scalars(select(MapperTemplate.name).where(
            MapperTemplate.organization_id == org_id)).all())


def count_rows(app):
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(MapperTemplate)),
                db.session.scalar(select(func.count()).select_from(TemplateField)))


def export(client, pk):
    response = client.get(f"/templateview/export/{pk}")
    assert response.status_code == 200, response.status_code
    return response


# --- export and import (TPL-2) -------------------------------------------------------


def test_export_is_a_json_attachment(app, client, orgs):
    login(client, "editor_a")
    response = export(client, orgs.template_a)
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    kind, options = parse_options_header(disposition)
    assert kind == "attachment" and options["filename"].endswith(".muara-template.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["format"] == "muara-template/1"
    assert data["module"] == "open_invoices" and data["name"] == "Invoices of the ERP"
    assert [line["field"] for line in data["fields"]] == [f.name for f in OPEN_INVOICES.fields]


def test_export_then_import_into_another_organization_gives_equal_lines(app, client, world, orgs):
    world.org("DIST-C")
    world.user("editor_c", roles.TEMPLATE_EDITOR, "DIST-C")
    login(client, "editor_a")
    exported = export(client, orgs.template_a).get_data()

    login(client, "editor_c")
    response = import_file(client, exported)
    assert response.status_code == 302, error_text(response)
    with app.app_context():
        org_c = db.session.scalar(select(Organization.id).where(Organization.code == "DIST-C"))
        copy = db.session.scalar(select(MapperTemplate).where(
            MapperTemplate.organization_id == org_c))
        copy_id = copy.id
    assert response.headers["Location"].endswith(f"/templateview/show/{copy_id}")
    original, copied = template_snapshot(app, orgs.template_a), template_snapshot(app, copy_id)
    assert copied == original
    assert copied["lines"][2]["date_formats"] == "%d/%m/%Y, %Y-%m-%d"  # not just defaults
    # The copy works on its own: the original's lines are untouched and separate.
    assert template_snapshot(app, orgs.template_a) == original
    assert client.get(f"/templateview/show/{copy_id}").status_code == 200


def test_import_under_another_name(app, client, orgs):
    login(client, "editor_a")
    exported = export(client, orgs.template_a).get_data()
    response = import_file(client, exported, name="ERP copy")
    assert response.status_code == 302, error_text(response)
    assert templates_of(app, orgs.a) == ["ERP copy", "Invoices of the ERP"]


def test_admin_chooses_the_organization_to_import_into(app, client, world, orgs):
    world.org("DIST-C")
    login(client, "root")
    page = client.get("/templateview/import").get_data(as_text=True)
    assert 'name="org"' in page and "DIST-C" in page and "DIST-A" in page
    with app.app_context():
        org_c = db.session.scalar(select(Organization.id).where(Organization.code == "DIST-C"))
    response = import_file(client, export(client, orgs.template_b).get_data(), org=str(org_c))
    assert response.status_code == 302, error_text(response)
    assert templates_of(app, org_c) == ["Invoices of the ERP"]


def _exported_document(app, template_id):
    from app.services.templates import export_template
    with app.app_context():
        return json.loads(export_template(db.session.get(MapperTemplate, template_id)))


BAD_FILES = {
    "malformed JSON": (lambda doc: '{"format": "muara-template/1", "name": ',
                       "not valid JSON"),
    "not a template": (lambda doc: json.dumps({"hello": "world"}),
                       "expected format muara-template/1"),
    "binary": (lambda doc: b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8"),
    "unknown module": (lambda doc: json.dumps({**doc, "module": "spaceships"}),
                       "unknown module in template file: spaceships"),
    "module not importable yet": (lambda doc: json.dumps({**doc, "module": "delivery_orders"}),
                                  "Delivery Order"),
    "field of another module": (
        lambda doc: json.dumps({**doc, "fields": doc["fields"] + [
            {"field": "units_per_box", "source_column": "Units"}]}),
        "unknown field for Open Invoices: units_per_box"),
    "field twice": (lambda doc: json.dumps({**doc, "fields": doc["fields"] + doc["fields"][:1]}),
                    "the field reference twice"),
    "fields not a list": (lambda doc: json.dumps({**doc, "fields": "reference"}),
                          "must be a list"),
    "bad header row": (lambda doc: json.dumps({**doc, "header_row": "third"}),
                       "header row must be a number"),
    "bad policy": (lambda doc: json.dumps({**doc, "policy": "maybe"}),
                   "unknown rejection policy"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_template_file_is_refused_with_a_clear_message(app, client, orgs, case):
    make, message = BAD_FILES[case]
    document = _exported_document(app, orgs.template_a)
    document["name"] = "Fresh name"
    before = count_rows(app)
    login(client, "editor_b")
    response = import_file(client, make(document))
    assert response.status_code == 400
    assert message in error_text(response)
    assert count_rows(app) == before


def test_a_duplicate_name_is_refused_and_nothing_is_created(app, client, orgs):
    login(client, "editor_b")
    exported = export(client, orgs.template_b).get_data()  # same name exists in B
    before = count_rows(app)
    response = import_file(client, exported)
    assert response.status_code == 400
    assert error_text(response) == "DIST-B already has a template named Invoices of the ERP"
    assert count_rows(app) == before
    # Under another name it goes in.
    assert import_file(client, exported, name="Second").status_code == 302


def test_import_without_a_file_says_so(app, client, orgs):
    login(client, "editor_a")
    response = client.post("/templateview/import", data={},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose the template file" in error_text(response)


# --- who may use the tools -----------------------------------------------------------


def test_template_editor_may_use_every_tool(app, client, orgs):
    login(client, "editor_a")
    assert client.get(f"/templateview/export/{orgs.template_a}").status_code == 200
    assert client.get("/templateview/import").status_code == 200
    assert client.get("/templateview/propose").status_code == 200
    listing = client.get("/templateview/list/").get_data(as_text=True)
    assert "/templateview/import" in listing and "/templateview/propose" in listing
    show = client.get(f"/templateview/show/{orgs.template_a}").get_data(as_text=True)
    assert f"/templateview/export/{orgs.template_a}" in show


def test_template_editor_adds_the_missing_default_templates_after_confirming(app, client,
                                                                              orgs):
    login(client, "editor_a")
    assert "/templateview/defaults" in client.get("/templateview/list/").get_data(as_text=True)
    page = client.get("/templateview/defaults")
    assert page.status_code == 200
    listed = re.findall(r"<li>([^<]+)</li>", page.get_data(as_text=True).split(
        'id="missing-modules"')[1].split("</ul>")[0])
    expected = [m.label for m in MODULES.values() if m.name != "open_invoices"]
    assert listed == expected  # DIST-A has its own open-invoices template already
    assert len(templates_of(app, orgs.a)) == 1
    response = client.post("/templateview/defaults", data={"org": orgs.a})
    assert response.status_code == 302
    names = templates_of(app, orgs.a)
    assert len(names) == 1 + len(expected)
    assert {f"Default {label}" for label in expected} <= set(names)
    assert len(templates_of(app, orgs.b)) == 1  # the other distributor is untouched
    again = client.get("/templateview/defaults").get_data(as_text=True)
    assert 'id="nothing-missing"' in again
    # Another organization's id is not the editor's to fill.
    assert client.post("/templateview/defaults", data={"org": orgs.b}).status_code == 404
    assert len(templates_of(app, orgs.b)) == 1


def test_only_template_editors_and_admins_add_default_templates(app, client, orgs):
    for username in ("imp_a", "sup_a"):
        login(client, username)
        assert client.get("/templateview/defaults").status_code == 403
        assert client.post("/templateview/defaults", data={"org": orgs.a}).status_code == 403
        assert "/templateview/defaults" not in client.get("/templateview/list/").get_data(
            as_text=True)
    assert len(templates_of(app, orgs.a)) == 1


def test_a_distributor_added_on_screen_comes_with_the_default_templates(app, client, orgs):
    login(client, "root")
    for code, kind in (("DIST-N", "distributor"), ("PRIN-N", "principal")):
        response = client.post("/organizationview/add", data={
            "code": code, "name": f"{code} name", "kind": kind})
        assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        ids = dict(db.session.execute(select(Organization.code, Organization.id).where(
            Organization.code.in_(["DIST-N", "PRIN-N"]))).all())
    assert len(templates_of(app, ids["DIST-N"])) == len(MODULES)
    assert templates_of(app, ids["PRIN-N"]) == []


def test_importer_may_export_but_not_import_or_propose(app, client, orgs):
    login(client, "imp_a")
    response = client.get(f"/templateview/export/{orgs.template_a}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    exported = response.get_data()
    before = count_rows(app)
    assert client.get("/templateview/import").status_code == 403
    assert import_file(client, exported, name="Sneaky").status_code == 403
    assert client.get("/templateview/propose").status_code == 403
    response = client.post("/templateview/propose", data={
        "module": "open_invoices", "file": file_part(sample_xlsx(), "sample.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    response = client.post("/templateview/propose", data={
        "step": "confirm", "module": "open_invoices", "name": "Sneaky",
        "headers": SAMPLE_HEADERS, "column-reference": "invoice no"})
    assert response.status_code == 403
    assert count_rows(app) == before
    # The screens offer only what the role may do.
    listing = client.get("/templateview/list/").get_data(as_text=True)
    assert "/templateview/import" not in listing and "/templateview/propose" not in listing
    show = client.get(f"/templateview/show/{orgs.template_a}").get_data(as_text=True)
    assert f"/templateview/export/{orgs.template_a}" in show


def test_supervisor_may_not_export(app, client, orgs):
    login(client, "sup_a")
    assert client.get(f"/templateview/export/{orgs.template_a}").status_code == 403
    show = client.get(f"/templateview/show/{orgs.template_a}").get_data(as_text=True)
    assert "/templateview/export/" not in show


def test_visitors_are_sent_to_the_login_page(app, client, orgs):
    for url in (f"/templateview/export/{orgs.template_a}", "/templateview/import",
                "/templateview/propose"):
        assert denied(client.get(url)), url


# --- tenant isolation ----------------------------------------------------------------


@pytest.mark.parametrize("username", ["editor_a", "imp_a"])
def test_exporting_another_organizations_template_is_404(app, client, orgs, username):
    login(client, username)
    response = client.get(f"/templateview/export/{orgs.template_b}")
    assert response.status_code == 404
    assert b"Invoices of the ERP" not in response.get_data()
    assert client.get("/templateview/export/999999").status_code == 404


def test_admin_may_export_any_template(app, client, orgs):
    login(client, "root")
    for pk in (orgs.template_a, orgs.template_b):
        assert client.get(f"/templateview/export/{pk}").status_code == 200


def test_importing_or_proposing_into_another_organization_is_refused(app, client, orgs):
    login(client, "editor_a")
    exported = export(client, orgs.template_a).get_data()
    before = count_rows(app)
    response = import_file(client, exported, name="Planted", org=str(orgs.b))
    assert response.status_code == 404
    response = client.post("/templateview/propose", data={
        "step": "confirm", "org": str(orgs.b), "module": "open_invoices", "name": "Planted",
        "headers": SAMPLE_HEADERS, **{f"column-{f}": h for f, h in zip(
            ["reference", "customer", "invoice_date", "balance", "customer_po"], SAMPLE_HEADERS,
            strict=False)}})  # the sample's last header (location) stays unmapped
    assert response.status_code == 404
    assert count_rows(app) == before
    # The editor's own page offers no other organization.
    page = client.get("/templateview/import").get_data(as_text=True)
    assert "DIST-B" not in page


# --- proposed mapping from a sample file (TPL-4) ---------------------------------------


def proposal_rows(html):
    """field -> (proposed header, confidence text) from the proposal table."""
    rows = {}
    for field, proposed, confidence in re.findall(
            r'<tr data-field="(\w+)">.*?<td class="proposed">(.*?)</td>\s*'
            r'<td class="confidence">(.*?)</td>', html, re.S):
        rows[field] = (re.sub(r"<[^>]+>", "", proposed).strip(), confidence.strip())
    return rows


def test_propose_shows_each_fields_column_and_confidence(app, client, orgs):
    login(client, "editor_a")
    response = propose(client, sample_xlsx())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = proposal_rows(html)
    assert rows["reference"] == ("invoice no", "100%")
    assert rows["balance"] == ("balance", "100%")
    assert rows["customer_po"] == ("PO", "100%")
    assert rows["customer"][0] == "cust code"
    assert rows["invoice_date"][0] == "date of invoice"
    assert rows["location"][0] == "location"
    for field in ("customer", "invoice_date", "location"):
        percent = int(rows[field][1].rstrip("%"))
        assert 50 <= percent < 100, (field, percent)
    form = read_form(html, "template-confirm-form")
    selected = {name: value for name, value in form.fields if name.startswith("column-")}
    assert selected == {"column-reference": "invoice no", "column-customer": "cust code",
                        "column-invoice_date": "date of invoice", "column-balance": "balance",
                        "column-customer_po": "PO", "column-location": "location"}
    # Every select offers "(not mapped)", the file's headers and its columns by letter.
    options = form.selects["column-customer"]["options"]
    letters = [chr(65 + i) for i in range(len(SAMPLE_HEADERS))]
    assert [value for value, _ in options] == \
        [""] + SAMPLE_HEADERS + [f"letter:{letter}" for letter in letters]
    assert options[0][1] == "(not mapped)"
    assert options[-1][1] == f"column {letters[-1]}"
    assert form_data(form)["file_format"] == ["xlsx"]


def test_propose_from_a_csv_sample_with_a_later_header_row(app, client, orgs):
    login(client, "editor_a")
    content = ("Export of 2025-02-01\n\n"
               "Invoice #;Customer;Tanggal Invoice;Amount\nI1;C1;2025-01-01;5\n")
    response = propose(client, content, "sample.csv", header_row="3")
    assert response.status_code == 200, error_text(response)
    rows = proposal_rows(response.get_data(as_text=True))
    assert rows["reference"] == ("Invoice #", "100%")
    assert rows["balance"] == ("Amount", "100%")
    assert rows["customer"][0] == "Customer"
    assert rows["invoice_date"][0] == "Tanggal Invoice"
    assert rows["customer_po"] == ("none", "—")
    form = form_data(read_form(response.get_data(as_text=True), "template-confirm-form"))
    assert form["header_row"] == ["3"] and form["file_format"] == ["csv"]


@pytest.mark.parametrize("content,filename,message", [
    (b"%PDF-1.4 something", "sample.xlsx", "PDF"),
    (b"", "empty.csv", "The file is empty."),
    (b"<?xml version='1.0'?><a/>", "sample.xml", "spreadsheet"),
])
def test_propose_refuses_a_file_it_cannot_read(app, client, orgs, content, filename, message):
    login(client, "editor_a")
    response = propose(client, content, filename)
    assert response.status_code == 400
    assert message in error_text(response)


def test_confirm_creates_the_template_as_corrected(app, client, orgs):
    login(client, "editor_a")
    html = propose(client, sample_xlsx()).get_data(as_text=True)
    form = read_form(html, "template-confirm-form")
    before = count_rows(app)
    data = form_data(form, name="ERP invoices", column__location="")
    response = client.post("/templateview/propose", data=data)
    assert response.status_code == 302, error_text(response)
    assert count_rows(app)[0] == before[0] + 1
    with app.app_context():
        template = db.session.scalar(select(MapperTemplate).where(
            MapperTemplate.name == "ERP invoices"))
        assert template.organization_id == orgs.a and template.module == "open_invoices"
        assert template.file_format == "xlsx" and template.header_row == 1
        lines = [(line.position, line.field, line.source_column, line.required)
                 for line in template.fields]
    assert lines == [(0, "reference", "invoice no", True), (1, "customer", "cust code", True),
                     (2, "invoice_date", "date of invoice", True), (3, "balance", "balance", True),
                     (4, "customer_po", "PO", True), (5, "location", None, False)]


def test_confirm_refuses_a_missing_required_column_or_a_duplicate_name(app, client, orgs):
    login(client, "editor_a")
    form = read_form(propose(client, sample_xlsx()).get_data(as_text=True),
                     "template-confirm-form")
    before = count_rows(app)
    response = client.post("/templateview/propose",
                           data=form_data(form, name="New one", column__customer_po=""))
    assert response.status_code == 400
    assert error_text(response) == "choose a column for every required field: Customer PO"
    # The page keeps the user's choices.
    kept = read_form(response.get_data(as_text=True), "template-confirm-form")
    assert kept.selects["column-customer_po"]["selected"] == ""
    assert kept.selects["column-reference"]["selected"] == "invoice no"

    response = client.post("/templateview/propose",
                           data=form_data(form, name="Invoices of the ERP"))
    assert response.status_code == 400
    assert "already has a template named Invoices of the ERP" in error_text(response)

    response = client.post("/templateview/propose",
                           data=form_data(form, name="Other", column__balance="Planted column"))
    assert response.status_code == 400
    assert "not a column of the sample file: Planted column" in error_text(response)
    assert count_rows(app) == before


def test_multi_location_company_must_map_the_location(app, client, world):
    world.org("DIST-M", multi_location=True)
    world.user("editor_m", roles.TEMPLATE_EDITOR, "DIST-M")
    login(client, "editor_m")
    form = read_form(propose(client, sample_xlsx()).get_data(as_text=True),
                     "template-confirm-form")
    response = client.post("/templateview/propose",
                           data=form_data(form, name="M", column__location=""))
    assert response.status_code == 400
    assert "Location Code" in error_text(response)
    assert client.post("/templateview/propose",
                       data=form_data(form, name="M")).status_code == 302


def test_proposed_template_imports_a_file_with_those_headers(app, client, runner, world, orgs,
                                                            tmp_path):
    world.run(connect, "DIST-A", "PRIN-P")
    world.run(add_integration, "DIST-A", "ERP", "external")
    with app.app_context():
        for code in ("C001", "C002"):
            db.session.add(Customer(organization_id=orgs.a, code=code, name=code, balance=0))
        db.session.commit()

    login(client, "editor_a")
    content = sample_xlsx()
    form = read_form(propose(client, content).get_data(as_text=True), "template-confirm-form")
    response = client.post("/templateview/propose", data=form_data(form, name="From sample"))
    assert response.status_code == 302, error_text(response)

    path = tmp_path / "invoices.xlsx"
    path.write_bytes(content)
    result = runner.invoke(args=["muara", "import", str(path), "--module", "open_invoices",
                                 "--org", "DIST-A", "--template", "From sample", "--wait"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["status"] == "archived", summary
    assert summary["rows"] == 3 and summary["accepted"] == 3 and summary["rejected"] == 0


def test_template_files_page_describes_modules_without_spec_references(app, client, world):
    world.org("D1")
    world.user("editor", "Template Editor", "D1")
    login(client, "editor")
    page = client.get("/template-files/").get_data(as_text=True)
    assert ("Sales invoices to customers, one row per line; the lines of an invoice share "
            "its Invoice Number.") in page
    assert "seed" not in page.lower()
