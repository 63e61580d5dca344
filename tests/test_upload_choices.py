"""The Data Import form and the rejection review (issue 17.2, 17.6, 17.8) through real HTTP:
a module's default template, said before upload; a refused form keeps the chosen file;
modules that cannot be imported disabled with their reason; the rejection log's visible
file filter, its choice of reasons and the result's breakdown by reason."""
import html as html_module
import re

from sqlalchemy import select

from app.extensions import db
from app.models import ImportFile, MapperTemplate
from app.services.directory import get_org
from app.services.templates import export_template, find_template, import_template
from tests.conftest import login, row_ids
from tests.factories import (
    VALID_ROWS,
    count,
    drain,
    html,
    invoice_xlsx,
    rejection_ids,
    upload,
    uploaded_id,
)


def second_template(app, name="Second invoices"):
    """A second Open Invoices template of DIST-A: the default one exported and imported
    under another name, as a Template Editor copies one."""
    with app.app_context():
        org = get_org("DIST-A")
        template = import_template(org, export_template(find_template(org, "open_invoices")),
                                   name=name)
        return template.id, template.is_default


def template_used_text(page):
    found = re.search(r'id="template-used">(.*?)</p>', page, re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", "", found.group(1)).strip()) if found else None


# --- 17.2 the module's default template ----------------------------------------------------

def test_the_first_template_of_a_module_is_its_default_and_a_second_is_not(app, portal):
    second, second_is_default = second_template(app)
    assert second_is_default is False
    with app.app_context():
        org = get_org("DIST-A")
        assert find_template(org, "open_invoices").name == "Default Open Invoices"


def test_making_another_template_the_default_unmarks_the_former_one(app, client, portal, world):
    from app.security import roles
    world.user("ted_a", roles.TEMPLATE_EDITOR, "DIST-A")
    second, _ = second_template(app)
    login(client, "ted_a")
    assert 'id="make-default"' in html(client.get(f"/templateview/show/{second}"))
    response = client.post(f"/templateview/make-default/{second}")
    assert response.status_code == 302
    with app.app_context():
        defaults = db.session.execute(select(MapperTemplate.name).where(
            MapperTemplate.organization_id == get_org("DIST-A").id,
            MapperTemplate.module == "open_invoices",
            MapperTemplate.is_default.is_(True))).scalars().all()
        assert defaults == ["Second invoices"]
        assert find_template(get_org("DIST-A"), "open_invoices").name == "Second invoices"


def test_the_database_refuses_two_defaults_for_one_module(app, portal):
    import pytest
    from sqlalchemy.exc import IntegrityError
    second, _ = second_template(app)
    with app.app_context():
        template = db.session.get(MapperTemplate, second)
        template.is_default = True
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_an_importer_may_not_change_the_default(app, client, portal):
    second, _ = second_template(app)
    login(client, "imp_a")
    response = client.post(f"/templateview/make-default/{second}")
    assert response.status_code in (302, 403)
    with app.app_context():
        assert db.session.get(MapperTemplate, second).is_default is False


def test_with_two_templates_the_upload_uses_the_default_and_the_form_says_so(
        app, client, portal):
    second_template(app)
    login(client, "imp_a")
    page = html(client.get("/data-import/"))
    assert template_used_text(page) == ("The file will be read with the template "
                                        "Default Open Invoices (the module's default).")
    assert 'data-template="Default Open Invoices"' in page
    pk = uploaded_id(upload(client, invoice_xlsx(VALID_ROWS)))
    with app.app_context():
        assert db.session.get(ImportFile, pk).template.name == "Default Open Invoices"


def test_two_templates_without_a_default_ask_for_a_choice_before_upload(app, client, portal):
    second_template(app)
    with app.app_context():
        db.session.execute(MapperTemplate.__table__.update().values(is_default=False))
        db.session.commit()
    login(client, "imp_a")
    page = html(client.get("/data-import/"))
    assert template_used_text(page) == ("Several templates and none is the module's default: "
                                        "choose one.")


# --- 17.2 a refused form keeps the chosen file -----------------------------------------------

def test_a_refused_form_keeps_the_file_and_the_next_submit_imports_it(app, client, portal):
    login(client, "imp_a")
    content = invoice_xlsx(VALID_ROWS)
    refused = upload(client, content, filename="kept.xlsx", principal="PRIN-Q")
    assert refused.status_code == 400
    page = html(refused)
    assert "has no active connection with PRIN-Q" in page
    size = f"{round(len(content) / 1024, 1):g} KB"
    assert f"File kept: <strong>kept.xlsx</strong>, {size}." in page
    token = re.search(r'name="pending" id="pending" value="([0-9a-f]{32})"', page).group(1)
    assert count(app, ImportFile) == 0

    # the same form, corrected, with no file chosen again
    response = client.post("/data-import/upload", data={
        "module": "open_invoices", "principal": "PRIN-P", "integration": "Ext A",
        "template": "", "pending": token}, content_type="multipart/form-data")
    pk = uploaded_id(response)
    drain(app)
    with app.app_context():
        imp = db.session.get(ImportFile, pk)
        assert (imp.filename, imp.size, imp.accepted) == ("kept.xlsx", len(content), 2)
    # the kept file is gone once imported: the token imports nothing twice
    again = client.post("/data-import/upload", data={
        "module": "open_invoices", "principal": "PRIN-P", "integration": "Ext A",
        "pending": token}, content_type="multipart/form-data")
    assert again.status_code == 400 and "Choose a file to import" in html(again)


def test_a_kept_file_belongs_to_the_user_who_chose_it(app, client, portal, world):
    from app.security import roles
    world.user("imp_a2", roles.IMPORTER, "DIST-A")
    login(client, "imp_a")
    page = html(upload(client, invoice_xlsx(VALID_ROWS), principal="PRIN-Q"))
    token = re.search(r'name="pending" id="pending" value="([0-9a-f]{32})"', page).group(1)
    client.post("/logout/")
    login(client, "imp_a2")
    response = client.post("/data-import/upload", data={
        "module": "open_invoices", "principal": "PRIN-P", "integration": "Ext A",
        "pending": token}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert count(app, ImportFile) == 0


# --- 17.6 modules that cannot be imported --------------------------------------------------

def test_unavailable_modules_are_disabled_with_their_reason(app, client, portal):
    login(client, "imp_a")
    page = html(client.get("/data-import/"))
    options = dict(re.findall(r'<option value="(\w+)"([^>]*)>', page[
        page.index('id="module"'):page.index('id="principal"')]))
    assert "disabled" in options["delivery_orders"]
    assert "disabled" in options["open_credits"]  # no template in DIST-A
    assert "disabled" not in options["open_invoices"]
    note = html_module.unescape(re.search(r'id="unavailable-modules">(.*?)</p>', page,
                                          re.S).group(1))
    assert "Delivery Order (not supported yet: Muara cannot import it)" in note
    assert "Open Credits (no mapper template yet: a Template Editor can add one" in note


def test_an_unavailable_module_is_refused_before_the_file_is_stored(app, client, portal):
    login(client, "imp_a")
    response = upload(client, invoice_xlsx(VALID_ROWS), module="delivery_orders")
    assert response.status_code == 400
    assert "not supported yet" in html(response)
    assert count(app, ImportFile) == 0


# --- 17.8 rejection review ------------------------------------------------------------------

def test_the_result_breaks_rejections_down_by_reason_with_links(app, client, mixed):
    payload = client.get(f"/data-import/status/{mixed.mixed}").get_json()
    breakdown = {b["reason"]: (b["text"], b["url"]) for b in payload["breakdown"]}
    assert breakdown == {
        "unknown_customer": ("Unknown customer: 2", f"/rejections/list/?_flt_0_import_file="
                             f"{mixed.mixed}&_flt_3_reason=unknown_customer"),
        "invalid_date": ("Invalid date: 1", f"/rejections/list/?_flt_0_import_file="
                         f"{mixed.mixed}&_flt_3_reason=invalid_date")}
    login(client, "sup_a")
    shown = html(client.get(breakdown["invalid_date"][1]))
    with app.app_context():
        from app.models import ImportRejection
        wanted = db.session.execute(select(ImportRejection.id).where(
            ImportRejection.import_id == mixed.mixed,
            ImportRejection.reason == "invalid_date")).scalars().all()
    assert row_ids(shown, "rejections") == wanted


def test_the_rejection_log_shows_the_file_filter_and_offers_the_reasons_present(
        app, client, mixed):
    other = uploaded_id(upload(client, invoice_xlsx(
        [["INV-20", "C001", "31/31/2025", 1, "PO", None]]), filename="other.xlsx"))
    drain(app)
    assert len(rejection_ids(app, other)) == 1
    login(client, "sup_a")
    page = html(client.get(f"/rejections/list/?_flt_0_import_file={mixed.mixed}"))
    chip = re.search(r'id="file-filter"[^>]*>(.*?)</span>', page, re.S).group(1)
    assert f"File: #{mixed.mixed} mixed.xlsx" in " ".join(chip.split())
    reasons = re.findall(r'<option value="(\w*)"[^>]*>([^<]+)</option>', page[
        page.index('id="reason-filter"'):])
    assert reasons[:3] == [("", "every reason"), ("unknown_customer", "Unknown customer (2)"),
                           ("invalid_date", "Invalid date (1)")]
    everything = html(client.get("/rejections/list/"))
    assert 'id="file-filter"' not in everything
    assert "Invalid date (2)" in everything  # both files' reasons when no file is chosen


def test_a_distributors_reasons_are_counted_up_to_a_limit(app, client, mixed, monkeypatch):
    """Past REASON_COUNT_LIMIT rejections of one reason the choice says "more than" (the
    whole log of a distributor is counted from its index, not row by row: issue 14); a
    file's reasons stay exact."""
    import app.services.rejections as rejections
    import app.views.rejections as view
    other = uploaded_id(upload(client, invoice_xlsx(
        [["INV-20", "C001", "31/31/2025", 1, "PO", None]]), filename="other.xlsx"))
    drain(app)
    assert len(rejection_ids(app, other)) == 1
    login(client, "sup_a")
    monkeypatch.setattr(rejections, "REASON_COUNT_LIMIT", 1)
    monkeypatch.setattr(view, "REASON_COUNT_LIMIT", 1)
    page = html(client.get("/rejections/list/"))
    reasons = re.findall(r'<option value="(\w*)"[^>]*>([^<]+)</option>', page[
        page.index('id="reason-filter"'):])
    assert ("invalid_date", "Invalid date (more than 1)") in reasons
    assert ("unknown_customer", "Unknown customer (more than 1)") in reasons
    monkeypatch.setattr(rejections, "REASON_COUNT_LIMIT", 2)
    monkeypatch.setattr(view, "REASON_COUNT_LIMIT", 2)
    page = html(client.get("/rejections/list/"))
    assert "Invalid date (2)" in page and "Unknown customer (2)" in page
    page = html(client.get(f"/rejections/list/?_flt_0_import_file={other}"))
    assert "Invalid date (1)" in page
