"""Template sets (issue 19.5): the sheets of one workbook mapped to modules; one upload
imports them master data first, as one file with counts per sheet and each sheet's
rejections; a workbook without a sheet of the set is refused with the sheet named and
nothing stored."""
import html
import io
import re

import pytest
from sqlalchemy import func, select

from app.errors import MuaraError
from app.extensions import db
from app.models import (
    Customer,
    ImportFile,
    ImportRejection,
    MapperTemplate,
    Organization,
    TemplateSet,
)
from app.services import imports as import_service
from app.services import template_sets as service
from tests.conftest import login
from tests.factories import drain, flashes, make_distributor, submit
from tests.set_helpers import SET_WORKBOOK, make_set, workbook


def upload(app, set_id, content, **options):
    with app.app_context():
        template_set = db.session.get(TemplateSet, set_id)
        org = db.session.get(Organization, template_set.organization_id)
        return service.create_set_import(org, template_set, "month.xlsx", content,
                                         **options).id


@pytest.fixture
def set_id(app):
    make_distributor(app)
    return make_set(app)


def test_one_upload_imports_every_sheet_master_data_first(app, set_id):
    parent_id = upload(app, set_id, workbook(SET_WORKBOOK))
    drain(app)
    with app.app_context():
        parent = db.session.get(ImportFile, parent_id)
        summary = import_service.summary(parent)
        assert (summary["status"], summary["rows"], summary["accepted"], summary["rejected"]) \
            == ("needs_attention", 5, 4, 1)
        assert [(s["sheet"], s["module"], s["rows"], s["accepted"], s["rejected"], s["status"])
                for s in summary["sheets"]] == [
            ("Customers", "customers", 1, 1, 0, "archived"),
            ("Products", "products", 2, 2, 0, "archived"),
            ("Invoices", "open_invoices", 2, 1, 1, "needs_attention")]
        invoices = summary["sheets"][2]["import_id"]
        rejected = db.session.execute(select(ImportRejection.row, ImportRejection.value)
                                      .where(ImportRejection.import_id == invoices)).all()
        assert rejected == [(3, "NOPE")]
        # the workbook's log holds each sheet's rejections, the sheet named
        assert [(r["sheet"], r["row"], r["value"], r["reason"]) for r in summary["rejections"]] \
            == [("Invoices", 3, "NOPE", "unknown_customer")]
        assert db.session.execute(select(Customer.name).where(Customer.code == "C900")).scalar() \
            == "Toko Baru"
        # the sheets read the workbook stored once, with the parent
        assert all(s["import_id"] != parent_id for s in summary["sheets"])


def test_a_missing_sheet_is_refused_with_its_name_and_nothing_is_stored(app, set_id):
    without_products = [sheet for sheet in SET_WORKBOOK if sheet[0] != "Products"]
    with pytest.raises(MuaraError, match="no sheet 'Products', which the template set Monthly"):
        upload(app, set_id, workbook(without_products))
    with app.app_context():
        assert db.session.execute(select(func.count(ImportFile.id))).scalar() == 0
        assert db.session.execute(select(func.count(Customer.id))).scalar() == 2


def test_a_sheet_name_matches_without_regard_to_case(app, set_id):
    renamed = [(name.upper(), rows) for name, rows in SET_WORKBOOK]
    parent_id = upload(app, set_id, workbook(renamed))
    drain(app)
    with app.app_context():
        assert db.session.get(ImportFile, parent_id).accepted == 4


def test_a_file_that_is_no_workbook_is_refused(app, set_id):
    with pytest.raises(MuaraError, match="not a workbook"):
        upload(app, set_id, b"Customer Code,Customer Name\nC1,Toko\n")


def test_the_same_workbook_again_is_a_duplicate_unless_forced(app, set_id):
    content = workbook(SET_WORKBOOK)
    first = upload(app, set_id, content)
    drain(app)
    with pytest.raises(MuaraError, match=f"import #{first}"):
        upload(app, set_id, content)
    second = upload(app, set_id, content, force=True)
    drain(app)
    with app.app_context():
        assert db.session.get(ImportFile, second).status.value == "needs_attention"


def test_a_set_without_sheets_is_refused(app):
    make_distributor(app)
    set_id = make_set(app, name="Empty", sheets=())
    with pytest.raises(MuaraError, match="has no sheets yet"):
        upload(app, set_id, workbook(SET_WORKBOOK))


# --- on screen ----------------------------------------------------------------------------

def template_of(app, module):
    with app.app_context():
        return db.session.execute(select(MapperTemplate.id).where(
            MapperTemplate.module == module)).scalar_one()


@pytest.fixture
def screens(app, world):
    org_id = make_distributor(app)
    world.user("ed", "Template Editor", "D1")
    world.user("imp", "Importer", "D1")
    return org_id


def test_the_template_editor_builds_a_set_in_the_forms(app, client, screens):
    login(client, "ed")
    response = submit(client, "/templatesetview/add", {"organization": str(screens),
                                                       "name": "Monthly"})
    assert flashes(response, "success") == ["Added Row"]
    with app.app_context():
        set_id = db.session.execute(select(TemplateSet.id)).scalar_one()
    for position, (sheet, module) in enumerate((("Invoices", "open_invoices"),
                                                ("Customers", "customers"))):
        response = submit(client, "/templatesetsheetview/add", {
            "template_set": str(set_id), "position": str(position), "sheet": f" {sheet} ",
            "template": str(template_of(app, module))})
        assert flashes(response, "success") == ["Added Row"]
    page = client.get(f"/templatesetview/show/{set_id}").get_data(as_text=True)
    assert "Customers, Invoices" in page  # the order they are imported in
    assert "set-upload-form" not in page  # the Template Editor does not import
    # a module a set cannot hold is refused with the reason, nothing added
    response = submit(client, "/templatesetsheetview/add", {
        "template_set": str(set_id), "position": "3", "sheet": "Orders",
        "template": str(template_of(app, "sales_orders"))})
    assert any("which a template set cannot hold" in text
               for text in flashes(response, "danger")), response.get_data(as_text=True)[:3000]
    with app.app_context():
        assert [s.sheet for s in db.session.get(TemplateSet, set_id).sheets] == \
            ["Invoices", "Customers"]


def test_the_importer_uploads_a_workbook_and_sees_each_sheets_counts(app, client, screens):
    set_id = make_set(app)
    login(client, "imp")
    without_products = [sheet for sheet in SET_WORKBOOK if sheet[0] != "Products"]
    response = client.post(f"/templatesetview/import/{set_id}", data={
        "file": (io.BytesIO(workbook(without_products)), "month.xlsx")},
        content_type="multipart/form-data", follow_redirects=True)
    refusals = [html.unescape(text) for text in flashes(response, "danger")]
    assert any("no sheet 'Products'" in text and "Nothing was imported" in text
               for text in refusals), refusals
    response = client.post(f"/templatesetview/import/{set_id}", data={
        "file": (io.BytesIO(workbook(SET_WORKBOOK)), "month.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert "/imports/show/" in response.headers["Location"]
    drain(app)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    rows = re.findall(r'<tr data-sheet="([^"]+)">(.*?)</tr>', page, re.S)
    cells = [[re.sub(r"<[^>]+>", "", cell).strip()
              for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][:6] for _, row in rows]
    assert cells == [["Customers", "Customers", "Archived", "1", "1", "0"],
                     ["Products", "Products", "Archived", "2", "2", "0"],
                     ["Invoices", "Open Invoices", "Needs attention", "2", "1", "1"]]


def test_a_workbook_whose_worker_died_twice_is_failed_with_its_unfinished_sheets(app, set_id):
    parent_id = upload(app, set_id, workbook(SET_WORKBOOK))
    with app.app_context():
        service.give_up_template_set(parent_id)
        parent = db.session.get(ImportFile, parent_id)
        assert (parent.status.value, parent.error_code) == ("failed", "sheet_failed")
        assert parent.error_message.startswith("Sheet Customers: The file stopped the reader")
        assert {c.status.value for c in service.sheet_imports(parent)} == {"failed"}


def test_the_set_page_checks_a_workbook_then_imports_it_now(app, client, screens):
    """The set page's "Check only" (issue 19.1 with 19.5): nothing written, each sheet's
    would-be counts; "Import now" on the workbook's page imports the same bytes. A set
    whose sheets need its Customers sheet is refused for a check with the reason."""
    from app.models import BalanceAdjustment, OpenInvoice
    from tests.test_template_sets_cli_api import CREDITS_SHEETS
    monthly = make_set(app)
    balances_set = make_set(app, name="Balances", sheets=(("Invoices", "open_invoices"),
                                                          ("Credits", "open_credits")))
    login(client, "imp")
    refused = client.post(f"/templatesetview/import/{monthly}", data={
        "file": (io.BytesIO(workbook(SET_WORKBOOK)), "month.xlsx"), "dry_run": "1"},
        content_type="multipart/form-data", follow_redirects=True)
    assert any("Check only is not available for the template set Monthly" in html.unescape(t)
               for t in flashes(refused, "danger"))
    response = client.post(f"/templatesetview/import/{balances_set}", data={
        "file": (io.BytesIO(workbook(CREDITS_SHEETS)), "balances.xlsx"), "dry_run": "1"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    parent_id = int(response.headers["Location"].rsplit("/", 1)[1])
    drain(app)
    with app.app_context():
        parent = db.session.get(ImportFile, parent_id)
        assert (parent.status.value, parent.dry_run) == ("checked", True)
        assert db.session.execute(select(func.count(OpenInvoice.id))).scalar() == 0
        assert db.session.execute(select(func.count(BalanceAdjustment.id))).scalar() == 0
    page = client.get(f"/imports/show/{parent_id}").get_data(as_text=True)
    assert 'id="import-now-button"' in page
    client.post(f"/imports/import-now/{parent_id}")
    drain(app)
    with app.app_context():
        parent = db.session.get(ImportFile, parent_id)
        assert (parent.status.value, parent.accepted, parent.rejected) == (
            "needs_attention", 2, 1)
        assert db.session.execute(select(func.count(OpenInvoice.id))).scalar() == 1
        assert db.session.execute(select(func.count(BalanceAdjustment.id))).scalar() == 1
