"""Tenant isolation (SEC-2) through real HTTP after a real login.

Two distributors A and B, each with its own master data and integrations, and two
principals P (connected to A) and Q (connected to B). An Importer of A must see and touch
only A's rows; another tenant's row id in a URL gives 404 (or 403), never the row, and a
form naming another organization is refused before anything is written.
"""
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Connection, Customer, Integration, Location, Organization, Product
from app.security import roles
from app.services.directory import connect
from tests.conftest import PASSWORD, denied, login, row_ids

LIST_VIEWS = ("customerview", "locationview", "productview", "integrationview",
              "organizationview", "connectionview")
# Views where an Importer may add, edit and delete: (view, model, extra form fields).
WRITABLE = {
    "customerview": (Customer, {}),
    "locationview": (Location, {}),
    "productview": (Product, {"unit": "box"}),
}


@pytest.fixture
def tenants(app, world):
    """A (single location) and B (multi-location), each with rows on every screen."""
    ids = SimpleNamespace()
    ids.a = world.org("DIST-A")
    ids.b = world.org("DIST-B", multi_location=True)
    ids.p = world.org("PRIN-P", kind="principal")
    ids.q = world.org("PRIN-Q", kind="principal")
    ids.conn_ap = world.run(connect, "DIST-A", "PRIN-P")
    ids.conn_bq = world.run(connect, "DIST-B", "PRIN-Q")
    rows = {view: {"A": [], "B": []} for view in LIST_VIEWS}
    with app.app_context():
        for tag, org_id, n_locations in (("A", ids.a, 1), ("B", ids.b, 2)):
            made = []
            for i in range(1, n_locations + 1):
                made.append(("locationview", Location(
                    organization_id=org_id, code=f"LOC-{tag}{i}", name=f"Location {tag}{i}")))
            for i in (1, 2):
                made.append(("customerview", Customer(
                    organization_id=org_id, code=f"CUST-{tag}{i}", name=f"Customer {tag}{i}",
                    balance=0)))
                made.append(("productview", Product(
                    organization_id=org_id, code=f"PROD-{tag}{i}", name=f"Product {tag}{i}",
                    unit="pcs")))
            made.append(("integrationview", Integration(
                organization_id=org_id, name=f"Ext {tag}", kind="external")))
            made.append(("integrationview", Integration(
                organization_id=org_id, name=f"DMS {tag}", kind="dms")))
            for view, row in made:
                db.session.add(row)
                db.session.flush()
                rows[view][tag].append(row.id)
        db.session.commit()
    rows["organizationview"] = {"A": [ids.a], "B": [ids.b]}
    rows["connectionview"] = {"A": [ids.conn_ap], "B": [ids.conn_bq]}
    ids.rows = {view: {tag: sorted(v) for tag, v in by_tag.items()}
                for view, by_tag in rows.items()}
    world.user("imp_a", roles.IMPORTER, "DIST-A")
    return ids


def list_ids(client, view):
    response = client.get(f"/{view}/list/")
    assert response.status_code == 200, (view, response.status_code)
    return row_ids(response.get_data(as_text=True), view)


def snapshot(app, model, pk):
    """The row's column values, or None when it is gone."""
    with app.app_context():
        row = db.session.get(model, pk)
        if row is None:
            return None
        return {c.name: getattr(row, c.name) for c in model.__table__.columns}


def assert_form_refused(response):
    """The form came back with a validation error on the organization field (nothing saved).

    An organization that is not among the form's choices reads as no choice at all, so
    the field reports "required" (or "not a valid choice")."""
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="organization"' in body, "not the form page"
    assert "This field is required." in body or "Not a valid choice" in body, \
        "no validation error shown"


def count_in(app, model, org_id):
    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(model).where(model.organization_id == org_id)
        ).scalar()


# --- Importer of A ------------------------------------------------------------------


@pytest.mark.parametrize("view", LIST_VIEWS)
def test_importer_lists_only_own_organization_rows(app, client, tenants, view):
    login(client, "imp_a")
    assert list_ids(client, view) == tenants.rows[view]["A"]


def test_importer_list_pages_do_not_name_other_tenants_rows(app, client, tenants):
    login(client, "imp_a")
    for view in ("customerview", "locationview", "productview", "integrationview"):
        html = client.get(f"/{view}/list/").get_data(as_text=True)
        for foreign in ("CUST-B", "LOC-B", "PROD-B", "Ext B", "DMS B"):
            assert foreign not in html, (view, foreign)


@pytest.mark.parametrize("view", LIST_VIEWS)
def test_importer_gets_404_showing_another_tenants_row(app, client, tenants, view):
    login(client, "imp_a")
    for pk in tenants.rows[view]["B"]:
        response = client.get(f"/{view}/show/{pk}")
        assert response.status_code == 404, (view, pk, response.status_code)
    for pk in tenants.rows[view]["A"]:
        assert client.get(f"/{view}/show/{pk}").status_code == 200, (view, pk)


@pytest.mark.parametrize("view", sorted(WRITABLE))
def test_importer_gets_404_opening_the_edit_form_of_another_tenants_row(
        app, client, tenants, view):
    login(client, "imp_a")
    for pk in tenants.rows[view]["B"]:
        response = client.get(f"/{view}/edit/{pk}")
        assert response.status_code == 404, (view, pk, response.status_code)
    for pk in tenants.rows[view]["A"]:
        assert client.get(f"/{view}/edit/{pk}").status_code == 200, (view, pk)


@pytest.mark.parametrize("view", ["integrationview", "organizationview", "connectionview"])
def test_importer_cannot_open_edit_forms_of_read_only_screens(app, client, tenants, view):
    login(client, "imp_a")
    for pk in tenants.rows[view]["B"] + tenants.rows[view]["A"]:
        response = client.get(f"/{view}/edit/{pk}")
        assert response.status_code == 404 or denied(response), (view, pk, response.status_code)


@pytest.mark.parametrize("view", sorted(WRITABLE))
def test_importer_post_edit_of_another_tenants_row_is_404_and_changes_nothing(
        app, client, tenants, view):
    model, extra = WRITABLE[view]
    login(client, "imp_a")
    for pk in tenants.rows[view]["B"]:
        before = snapshot(app, model, pk)
        for organization in (tenants.b, tenants.a):
            data = {"organization": str(organization), "code": "HACKED", "name": "Hacked",
                    **extra}
            response = client.post(f"/{view}/edit/{pk}", data=data)
            assert response.status_code == 404, (view, pk, organization, response.status_code)
            assert snapshot(app, model, pk) == before, (view, pk, organization)


@pytest.mark.parametrize("view,model", [("customerview", Customer), ("locationview", Location),
                                        ("productview", Product),
                                        ("integrationview", Integration),
                                        ("connectionview", Connection)])
def test_importer_post_delete_of_another_tenants_row_is_refused_and_row_stays(
        app, client, tenants, view, model):
    login(client, "imp_a")
    for pk in tenants.rows[view]["B"]:
        response = client.post(f"/{view}/delete/{pk}")
        assert response.status_code in (403, 404) or denied(response), (
            view, pk, response.status_code)
        assert snapshot(app, model, pk) is not None, (view, pk)


def test_importer_post_delete_of_another_organization_is_refused(app, client, tenants):
    login(client, "imp_a")
    for pk in (tenants.b, tenants.q, tenants.p):
        response = client.post(f"/organizationview/delete/{pk}")
        assert response.status_code in (403, 404) or denied(response), (pk, response.status_code)
        assert snapshot(app, Organization, pk) is not None, pk


@pytest.mark.parametrize("view", sorted(WRITABLE))
def test_importer_add_into_another_organization_is_refused(app, client, tenants, view):
    model, extra = WRITABLE[view]
    login(client, "imp_a")
    before_b, before_a = count_in(app, model, tenants.b), count_in(app, model, tenants.a)
    data = {"organization": str(tenants.b), "code": "NEW-IN-B", "name": "Planted", **extra}
    response = client.post(f"/{view}/add", data=data)
    assert response.status_code in (200, 403), response.status_code
    if response.status_code == 200:
        assert_form_refused(response)
    assert count_in(app, model, tenants.b) == before_b
    assert count_in(app, model, tenants.a) == before_a
    with app.app_context():
        assert db.session.execute(
            select(model.id).where(model.code == "NEW-IN-B")).first() is None


@pytest.mark.parametrize("view", sorted(WRITABLE))
def test_importer_add_cannot_be_steered_into_another_organization_by_a_url_filter(
        app, client, tenants, view):
    """FAB fills a form field from a `_flt_0_<column>` URL filter: that must not bypass
    the choice of writable organizations."""
    model, extra = WRITABLE[view]
    login(client, "imp_a")
    before_b = count_in(app, model, tenants.b)
    data = {"organization": str(tenants.a), "code": "NEW-VIA-FLT", "name": "Planted", **extra}
    response = client.post(f"/{view}/add?_flt_0_organization={tenants.b}", data=data)
    assert response.status_code in (200, 302, 403), response.status_code
    assert count_in(app, model, tenants.b) == before_b
    with app.app_context():
        orgs = db.session.execute(
            select(model.organization_id).where(model.code == "NEW-VIA-FLT")).scalars().all()
    assert tenants.b not in orgs


@pytest.mark.parametrize("view", sorted(WRITABLE))
def test_importer_add_into_own_organization_succeeds(app, client, tenants, view):
    model, extra = WRITABLE[view]
    login(client, "imp_a")
    before_a = count_in(app, model, tenants.a)
    data = {"organization": str(tenants.a), "code": "NEW-IN-A", "name": "Fresh", **extra}
    response = client.post(f"/{view}/add", data=data)
    assert response.status_code == 302, response.status_code
    assert count_in(app, model, tenants.a) == before_a + 1
    with app.app_context():
        row = db.session.execute(select(model).where(model.code == "NEW-IN-A")).scalar_one()
        assert row.organization_id == tenants.a
        new_id = row.id
    assert new_id in list_ids(client, view)


@pytest.mark.parametrize("view", sorted(WRITABLE))
def test_importer_cannot_move_own_row_into_another_organization(app, client, tenants, view):
    model, extra = WRITABLE[view]
    login(client, "imp_a")
    pk = tenants.rows[view]["A"][0]
    before = snapshot(app, model, pk)
    data = {"organization": str(tenants.b), "code": before["code"], "name": "Moved",
            **extra}
    response = client.post(f"/{view}/edit/{pk}", data=data)
    assert response.status_code in (200, 403), response.status_code
    if response.status_code == 200:
        assert_form_refused(response)
    after = snapshot(app, model, pk)
    assert after["organization_id"] == tenants.a
    assert after == before
    assert pk in list_ids(client, view)


@pytest.mark.parametrize("view", sorted(WRITABLE))
def test_importer_edit_cannot_be_steered_into_another_organization_by_a_url_filter(
        app, client, tenants, view):
    model, extra = WRITABLE[view]
    login(client, "imp_a")
    pk = tenants.rows[view]["A"][0]
    before = snapshot(app, model, pk)
    data = {"organization": str(tenants.a), "code": before["code"], "name": "Moved",
            **extra}
    response = client.post(f"/{view}/edit/{pk}?_flt_0_organization={tenants.b}", data=data)
    assert response.status_code in (200, 302, 403), response.status_code
    assert snapshot(app, model, pk) == before


def test_importer_can_still_edit_own_row_within_own_organization(app, client, tenants):
    login(client, "imp_a")
    pk = tenants.rows["customerview"]["A"][0]
    response = client.post(f"/customerview/edit/{pk}",
                           data={"organization": str(tenants.a), "code": "CUST-A1",
                                 "name": "Renamed"})
    assert response.status_code == 302
    after = snapshot(app, Customer, pk)
    assert after["name"] == "Renamed" and after["organization_id"] == tenants.a


FOREIGN_TO_A = ("DIST-B", "PRIN-Q")


def test_list_page_search_forms_do_not_name_other_tenants(app, client, world, tenants):
    """The filter drop-downs of a list page are rendered into the page with their
    choices; they must offer only organizations the user may see, or every tenant's
    code and name (and id) leaks to every signed-in user."""
    world.user("prin_p", roles.PRINCIPAL, "PRIN-P")
    leaks = []
    login(client, "imp_a")
    for view in LIST_VIEWS:
        html = client.get(f"/{view}/list/").get_data(as_text=True)
        leaks += [("imp_a", view, code) for code in FOREIGN_TO_A if code in html]
    login(client, "prin_p")
    for view in ("organizationview", "connectionview"):
        html = client.get(f"/{view}/list/").get_data(as_text=True)
        leaks += [("prin_p", view, code) for code in FOREIGN_TO_A if code in html]
    assert leaks == []


def test_add_form_offers_only_the_importers_own_organization(app, client, tenants):
    login(client, "imp_a")
    html = client.get("/customerview/add").get_data(as_text=True)
    assert "/customerview/choices/add/organization" in html  # looked up as one types
    assert "DIST-B" not in html and "PRIN-P" not in html and "PRIN-Q" not in html
    offered = client.get("/customerview/choices/add/organization").get_json()["results"]
    assert [choice["id"] for choice in offered] == [str(tenants.a)]


# --- Principals --------------------------------------------------------------------


@pytest.fixture
def principal(world, tenants):
    world.user("prin_p", roles.PRINCIPAL, "PRIN-P")
    return tenants


def test_principal_sees_only_its_own_connection(app, client, principal):
    login(client, "prin_p")
    assert list_ids(client, "connectionview") == [principal.conn_ap]
    assert client.get(f"/connectionview/show/{principal.conn_ap}").status_code == 200
    assert client.get(f"/connectionview/show/{principal.conn_bq}").status_code == 404


def test_principal_sees_itself_and_connected_distributors_only(app, client, principal):
    login(client, "prin_p")
    assert list_ids(client, "organizationview") == sorted([principal.p, principal.a])
    for pk in (principal.p, principal.a):
        assert client.get(f"/organizationview/show/{pk}").status_code == 200, pk
    for pk in (principal.b, principal.q):
        assert client.get(f"/organizationview/show/{pk}").status_code == 404, pk


def test_inactive_connection_hides_the_distributor_but_still_lists(app, client, principal):
    with app.app_context():
        conn = connect("DIST-A", "PRIN-P", active=False)
        db.session.commit()
        assert conn.id == principal.conn_ap
    login(client, "prin_p")
    assert list_ids(client, "organizationview") == [principal.p]
    assert client.get(f"/organizationview/show/{principal.a}").status_code == 404
    assert list_ids(client, "connectionview") == [principal.conn_ap]
    assert client.get(f"/connectionview/show/{principal.conn_ap}").status_code == 200
    assert client.get(f"/connectionview/show/{principal.conn_bq}").status_code == 404


def test_principal_cannot_reach_distributor_master_data(app, client, principal):
    login(client, "prin_p")
    for view in ("customerview", "locationview", "productview", "integrationview"):
        for pk in principal.rows[view]["A"] + principal.rows[view]["B"]:
            response = client.get(f"/{view}/show/{pk}")
            assert response.status_code == 404 or denied(response), (view, pk)


# --- Users without an organization, and Admin ----------------------------------------


def test_user_without_organization_sees_nothing(app, client, tenants):
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(username="loose", first_name="Loose", last_name="End",
                           email="loose@example.test", role=sm.find_role(roles.IMPORTER),
                           password=PASSWORD)
        assert user
        db.session.commit()
    login(client, "loose")
    for view in LIST_VIEWS:
        assert list_ids(client, view) == [], view
        for pk in tenants.rows[view]["A"] + tenants.rows[view]["B"]:
            assert client.get(f"/{view}/show/{pk}").status_code == 404, (view, pk)
    before = count_in(app, Customer, tenants.a)
    response = client.post("/customerview/add",
                           data={"organization": str(tenants.a), "code": "LOOSE", "name": "x"})
    assert response.status_code in (200, 403)
    assert count_in(app, Customer, tenants.a) == before


@pytest.mark.parametrize("view", LIST_VIEWS)
def test_admin_sees_rows_of_every_tenant(app, client, world, tenants, view):
    world.user("root", roles.ADMIN)
    login(client, "root")
    ids = list_ids(client, view)
    assert set(tenants.rows[view]["A"]) <= set(ids), view
    assert set(tenants.rows[view]["B"]) <= set(ids), view
    for pk in tenants.rows[view]["A"] + tenants.rows[view]["B"]:
        assert client.get(f"/{view}/show/{pk}").status_code == 200, (view, pk)


def test_admin_organization_list_includes_principals(app, client, world, tenants):
    world.user("root", roles.ADMIN)
    login(client, "root")
    assert list_ids(client, "organizationview") == sorted(
        [tenants.a, tenants.b, tenants.p, tenants.q])


# --- Choice lists: search filters and forms ------------------------------------------

def _pages_with_choice_lists(app):
    """The list and add pages of every tenant view: search filters and forms list
    related records (customers, products, organizations, ...) as choices."""
    from app.views import registered_views
    from app.views.base import TenantModelView
    with app.test_request_context():
        from flask import url_for
        pages = []
        for view, _, _ in registered_views():
            if issubclass(view, TenantModelView):
                pages.append(url_for(f"{view.__name__}.list"))
                pages.append(url_for(f"{view.__name__}.add"))
        return pages


# What names tenant B or its principal Q anywhere: codes and names of its rows.
OTHER_TENANT = ("CUST-B", "Customer B", "PROD-B", "Product B", "LOC-B", "DIST-B", "PRIN-Q",
                "Ext B", "DMS B")


@pytest.mark.parametrize("username", ["imp_a", "prin_p"])
def test_no_page_offers_another_tenants_records_as_choices(app, client, principal, username):
    login(client, username)
    opened = 0
    for page in _pages_with_choice_lists(app):
        response = client.get(page)
        if response.status_code != 200:
            continue  # a page the role may not open (its refusal is tested elsewhere)
        opened += 1
        html = response.get_data(as_text=True)
        leaked = [name for name in OTHER_TENANT if name in html]
        assert not leaked, f"{page} as {username} names {leaked}"
    assert opened >= 10, opened


def test_an_integration_sees_only_the_imports_that_came_through_it(app, world):
    """SEC-2 for API keys: two integrations of one distributor do not see each other's
    files, though they share the organization."""
    from app.models import ImportFile
    from app.security.tenancy import integration_criterion, scope
    from app.services.directory import add_integration
    world.org("DIST-A")
    mine = world.run(add_integration, "DIST-A", "Mine", "external")
    theirs = world.run(add_integration, "DIST-A", "Theirs", "external")
    with app.app_context():
        org_id = db.session.execute(select(Organization.id)).scalar()
        for integration_id in (mine, theirs):
            db.session.add(ImportFile(module="customers", organization_id=org_id,
                                      integration_id=integration_id, filename="c.csv",
                                      size=1, sha256="0" * 64))
        db.session.commit()
        seen = db.session.execute(scope(
            select(ImportFile.integration_id), ImportFile, db.session.get(Integration, mine),
            criterion=integration_criterion)).scalars().all()
    assert seen == [mine]
