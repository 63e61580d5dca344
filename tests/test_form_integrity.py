"""Forms answer in words where the database would refuse: a natural key already taken
(add, edit) is a field error with the input kept; a record still in use is not deleted
and the page says what uses it."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, Location, MapperTemplate, OpenInvoice
from app.security import roles
from tests.conftest import login
from tests.factories import GOOD_INVOICES, invoice_file, make_distributor, run_import


@pytest.fixture
def two_distributors(app, world):
    make_distributor(app)  # D1: customers C001, C002, location JKT, default templates
    make_distributor(app, code="D2")
    world.user("imp1", roles.IMPORTER, "D1")
    world.user("editor1", roles.TEMPLATE_EDITOR, "D1")
    with app.app_context():
        ids = dict(db.session.execute(select(Customer.code, Customer.id).join(
            Customer.organization).where(Customer.organization.has(code="D1"))).all())
        org_id = db.session.get(Customer, ids["C001"]).organization_id
    return org_id, ids


def page_text(response):
    return " ".join(response.get_data(as_text=True).split())


def customer_count(app, code):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Customer)
                                  .where(Customer.code == code)).scalar()


def test_adding_a_customer_with_a_taken_code_is_a_field_error(app, client, two_distributors):
    org_id, _ = two_distributors
    login(client, "imp1")
    response = client.post("/customerview/add", data={
        "organization": org_id, "code": "C002", "name": "Typed by hand"})
    assert response.status_code == 200  # the form again, not a redirect
    text = page_text(response)
    assert "Already used: Code must be unique within the organization." in text
    assert 'value="Typed by hand"' in text  # the input is kept
    assert "IntegrityError" not in text and "INSERT INTO" not in text
    assert customer_count(app, "C002") == 2  # D1's and D2's, nothing added
    # The same code is free in another organization, and a new code is accepted.
    response = client.post("/customerview/add", data={
        "organization": org_id, "code": "C003", "name": "New one"})
    assert response.status_code == 302
    assert customer_count(app, "C003") == 1


def test_editing_a_customer_onto_a_taken_code_is_refused_but_its_own_code_is_kept(
        app, client, two_distributors):
    org_id, ids = two_distributors
    login(client, "imp1")
    response = client.post(f"/customerview/edit/{ids['C001']}", data={
        "organization": org_id, "code": "C002", "name": "Renamed"})
    assert response.status_code == 200
    assert "Already used: Code must be unique within the organization." in page_text(response)
    response = client.post(f"/customerview/edit/{ids['C001']}", data={
        "organization": org_id, "code": "C001", "name": "Renamed"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Customer, ids["C001"])
        assert (row.code, row.name) == ("C001", "Renamed")


def test_a_template_name_taken_in_the_organization_is_a_field_error(app, client, two_distributors):
    org_id, _ = two_distributors
    login(client, "editor1")
    response = client.post("/templateview/add", data={
        "organization": org_id, "name": "Default Open Invoices", "module": "open_invoices",
        "file_format": "", "sheet": "", "header_row": 1, "policy": "accept_valid"})
    assert response.status_code == 200
    assert re.search(r"Already used: Name must be unique within the organization\.",
                     page_text(response))
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(MapperTemplate).where(
            MapperTemplate.organization_id == org_id)).scalar() == 9


def test_a_customer_in_use_is_not_deleted_and_the_page_says_what_uses_it(app, client, runner,
                                                                        two_distributors, tmp_path):
    _, ids = two_distributors
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))  # INV-1 for C001, INV-2 C002
    login(client, "imp1")
    client.get("/customerview/list/")  # where the user deletes from, and returns to
    response = client.post(f"/customerview/delete/{ids['C001']}", follow_redirects=True)
    assert response.request.path == "/customerview/list/"
    text = page_text(response)
    assert ("C001 - C001 name cannot be deleted: it is still used by 1 open invoice record. "
            "Change or delete those first.") in text
    assert customer_count(app, "C001") == 2
    with app.app_context():
        db.session.execute(OpenInvoice.__table__.delete())
        db.session.commit()
    response = client.post(f"/customerview/delete/{ids['C001']}", follow_redirects=True)
    assert "cannot be deleted" not in page_text(response)
    assert customer_count(app, "C001") == 1  # D2's only


def test_a_location_in_use_is_not_deleted(app, client, runner, two_distributors, tmp_path):
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))  # INV-1 at JKT
    with app.app_context():
        location_id = db.session.execute(select(OpenInvoice.location_id).where(
            OpenInvoice.reference == "INV-1")).scalar()
    login(client, "imp1")
    text = page_text(client.post(f"/locationview/delete/{location_id}", follow_redirects=True))
    assert "cannot be deleted: it is still used by 1 open invoice record." in text
    with app.app_context():
        assert db.session.get(Location, location_id) is not None
