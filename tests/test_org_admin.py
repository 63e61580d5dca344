"""The Organization Admin (issue 17 item 5) and its attack tests (issue 18 finding 7).

An Organization Admin of distributor A manages A's users, connections, integrations and
API keys, and nothing of distributor B: B's rows by id, by filter, by list action and by
the framework's REST endpoints are refused (404/403) and stay as they were; it cannot give
itself or anyone the platform Admin role. The platform Admin keeps everything.
"""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Connection, Integration, Membership, Organization
from app.models.apikeys import IntegrationKey
from app.security import roles
from app.services.apikeys import create_key
from app.services.directory import add_integration, connect
from tests.conftest import denied, login, row_ids

NEW_PASSWORD = "a-long-new-secret-77"


@pytest.fixture
def orgs_ab(app, world):
    ids = SimpleNamespace()
    ids.a = world.org("DIST-A")
    ids.b = world.org("DIST-B")
    world.org("PRIN-P", kind="principal")
    world.org("PRIN-Q", kind="principal")
    ids.conn_a = world.run(connect, "DIST-A", "PRIN-P")
    ids.conn_b = world.run(connect, "DIST-B", "PRIN-Q")
    ids.int_a = world.run(add_integration, "DIST-A", "Files A", "external")
    ids.int_b = world.run(add_integration, "DIST-B", "Files B", "external")
    with app.app_context():
        ids.key_a = create_key(db.session.get(Integration, ids.int_a))[0].id
        ids.key_b = create_key(db.session.get(Integration, ids.int_b))[0].id
        db.session.commit()
    ids.oa = world.user("oa_a", roles.ORG_ADMIN, "DIST-A")
    ids.imp_a = world.user("imp_a", roles.IMPORTER, "DIST-A")
    ids.imp_b = world.user("imp_b", roles.IMPORTER, "DIST-B")
    ids.oa_b = world.user("oa_b", roles.ORG_ADMIN, "DIST-B")
    ids.admin = world.user("root", roles.ADMIN)
    return ids


def user_state(app, user_id):
    """A login's username, e-mail, active flag and roles, or None when it is gone."""
    with app.app_context():
        user = app.appbuilder.sm.get_user_by_id(user_id)
        if user is None:
            return None
        return (user.username, user.email, user.active, sorted(r.name for r in user.roles))


def role_id(app, name):
    with app.app_context():
        return app.appbuilder.sm.find_role(name).id


def user_form(app, username, *role_names, **changes):
    form = {"first_name": username, "last_name": "x", "username": username,
            "email": f"{username}@example.test", "active": "y",
            "roles": [str(role_id(app, role)) for role in role_names],
            "password": NEW_PASSWORD,
            "conf_password": NEW_PASSWORD}
    form.update(changes)
    return form


# --- users -------------------------------------------------------------------------

def test_users_list_shows_only_the_own_organizations_non_admin_users(app, client, orgs_ab):
    login(client, "oa_a")
    page = client.get("/users/list/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert row_ids(text, "users") == sorted([orgs_ab.oa, orgs_ab.imp_a])
    assert "<td>Importer</td>" in text and "[Importer]" not in text  # in words
    # By filter: B's login by name finds nothing.
    found = client.get("/users/list/?_flt_0_username=imp_b").get_data(as_text=True)
    assert row_ids(found, "users") == []


@pytest.mark.parametrize("target", ["imp_b", "oa_b", "admin"])
def test_other_organizations_users_and_admins_are_404_by_id(app, client, orgs_ab, target):
    pk = getattr(orgs_ab, target)
    before = user_state(app, pk)
    login(client, "oa_a")
    assert client.get(f"/users/show/{pk}").status_code == 404
    assert client.get(f"/users/edit/{pk}").status_code == 404
    edited = client.post(f"/users/edit/{pk}",
                         data=user_form(app, "taken", roles.IMPORTER, active=""))
    assert edited.status_code == 404
    assert client.post(f"/users/delete/{pk}").status_code == 404
    assert user_state(app, pk) == before


# The form's own refusal, or the view's when the form dropped the id without a word.
REFUSED_ROLE = ("Either select a role or a group",
                "Nothing was saved: an Organization Admin may give only the roles")


@pytest.mark.parametrize("given", [(roles.ADMIN,), (roles.IMPORTER, roles.ADMIN),
                                   (roles.PRINCIPAL,)])
def test_cannot_add_a_platform_admin_or_another_kinds_role(app, client, orgs_ab, given):
    login(client, "oa_a")
    response = client.post("/users/add", data=user_form(app, "sneaky", *given),
                           follow_redirects=True)
    assert any(words in response.get_data(as_text=True) for words in REFUSED_ROLE)
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="sneaky") is None


def test_cannot_give_itself_the_admin_role(app, client, orgs_ab):
    before = user_state(app, orgs_ab.oa)
    login(client, "oa_a")
    form = user_form(app, "oa_a", roles.ORG_ADMIN, roles.ADMIN, email="oa_a@example.test")
    response = client.post(f"/users/edit/{orgs_ab.oa}", data=form, follow_redirects=True)
    assert REFUSED_ROLE[1] in response.get_data(as_text=True)
    assert user_state(app, orgs_ab.oa) == before
    # Nor a colleague.
    client.post(f"/users/edit/{orgs_ab.imp_a}",
                data=user_form(app, "imp_a", roles.ADMIN, email="imp_a@example.test"))
    assert user_state(app, orgs_ab.imp_a)[3] == [roles.IMPORTER]


def test_role_choices_are_the_organizations_set(app, client, orgs_ab):
    login(client, "oa_a")
    page = client.get("/users/add").get_data(as_text=True)
    for role in roles.ASSIGNABLE["distributor"]:
        assert f">{role}</option>" in page
    for role in (roles.ADMIN, roles.PRINCIPAL, "Public"):
        assert f">{role}</option>" not in page


def test_a_user_it_adds_belongs_to_its_organization(app, client, orgs_ab):
    login(client, "oa_a")
    response = client.post("/users/add", data=user_form(app, "newbie", roles.SUPERVISOR))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="newbie")
        org = db.session.execute(select(Membership.organization_id)
                                 .where(Membership.user_id == user.id)).scalar()
        assert org == orgs_ab.a
        assert [r.name for r in user.roles] == [roles.SUPERVISOR]
    # The new login works and sees its organization.
    login(client, "newbie", NEW_PASSWORD)


def test_it_edits_and_removes_its_own_users(app, client, orgs_ab):
    login(client, "oa_a")
    response = client.post(f"/users/edit/{orgs_ab.imp_a}", data=user_form(
        app, "imp_a", roles.TEMPLATE_EDITOR, email="imp_a@example.test"))
    assert response.status_code == 302
    assert user_state(app, orgs_ab.imp_a)[3] == [roles.TEMPLATE_EDITOR]
    assert client.post(f"/users/delete/{orgs_ab.imp_a}").status_code == 302
    assert user_state(app, orgs_ab.imp_a) is None


def test_security_screens_of_the_platform_stay_closed(app, client, orgs_ab):
    login(client, "oa_a")
    for url in ("/roles/list/", "/groups/list/", "/permissions/list/",
                "/membershipview/list/", "/auditeventview/list/"):
        assert denied(client.get(url)), url
    # The framework's REST endpoints for users and roles are not there.
    for url in ("/api/v1/security/users/", f"/api/v1/security/users/{orgs_ab.imp_b}",
                "/api/v1/security/roles/"):
        assert client.get(url).status_code in (401, 403, 404), url


# --- organizations, connections, integrations, keys -----------------------------------

@pytest.mark.parametrize("view,model,attr", [
    ("organizationview", Organization, "b"),
    ("connectionview", Connection, "conn_b"),
    ("integrationview", Integration, "int_b"),
])
def test_other_organizations_rows_are_refused(app, client, orgs_ab, view, model, attr):
    pk = getattr(orgs_ab, attr)
    with app.app_context():
        before = repr(db.session.get(model, pk))
    login(client, "oa_a")
    listed = row_ids(client.get(f"/{view}/list/").get_data(as_text=True), view)
    assert pk not in listed and listed
    assert client.get(f"/{view}/show/{pk}").status_code == 404
    assert client.get(f"/{view}/edit/{pk}").status_code in (403, 404)
    assert client.post(f"/{view}/edit/{pk}", data={"name": "taken"}).status_code in (403, 404)
    assert client.post(f"/{view}/delete/{pk}").status_code in (403, 404)
    with app.app_context():
        assert repr(db.session.get(model, pk)) == before


def test_it_manages_its_own_integrations_and_connections(app, client, orgs_ab):
    login(client, "oa_a")
    response = client.post(f"/integrationview/edit/{orgs_ab.int_a}", data={
        "organization": str(orgs_ab.a), "name": "Files A2", "kind": "external",
        "active": "y", "sync_mode": "realtime"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    assert client.post(f"/connectionview/delete/{orgs_ab.conn_a}").status_code == 302
    with app.app_context():
        assert db.session.get(Integration, orgs_ab.int_a).name == "Files A2"
        assert db.session.get(Connection, orgs_ab.conn_a) is None


def test_the_connection_form_offers_only_its_own_distributor(app, client, orgs_ab):
    login(client, "oa_a")
    # The form's distributor choice is looked up as the user types (issue 14).
    offered = client.get("/connectionview/choices/add/distributor?q=").get_json()["results"]
    distributor = " ".join(choice["text"] for choice in offered)
    assert "DIST-A" in distributor and "DIST-B" not in distributor
    # Posting B's id anyway is refused and writes nothing.
    with app.app_context():
        before = db.session.query(Connection).count()
        q = db.session.execute(select(Organization.id).where(
            Organization.code == "PRIN-P")).scalar()
    client.post("/connectionview/add", data={"distributor": str(orgs_ab.b),
                                             "principal": str(q), "active": "y"})
    with app.app_context():
        assert db.session.query(Connection).count() == before


def test_api_keys_of_another_organization_are_hidden_and_not_revoked(app, client, orgs_ab):
    login(client, "oa_a")
    listed = row_ids(client.get("/api-keys/list/").get_data(as_text=True), "api-keys")
    assert listed == [orgs_ab.key_a]
    assert client.get(f"/api-keys/show/{orgs_ab.key_b}").status_code == 404
    refused = client.post("/api-keys/action_post",
                          data={"action": "revoke", "rowid": [str(orgs_ab.key_b)]})
    assert refused.status_code == 404
    assert client.post(f"/api-keys/action/revoke/{orgs_ab.key_b}").status_code == 404
    with app.app_context():
        assert db.session.get(IntegrationKey, orgs_ab.key_b).revoked_at is None
    # Its own key it may revoke.
    done = client.post("/api-keys/action_post",
                       data={"action": "revoke", "rowid": [str(orgs_ab.key_a)]})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(IntegrationKey, orgs_ab.key_a).revoked_at is not None


def test_the_platform_admin_keeps_everything(app, client, orgs_ab):
    login(client, "root")
    users = row_ids(client.get("/users/list/").get_data(as_text=True), "users")
    assert {orgs_ab.imp_a, orgs_ab.imp_b, orgs_ab.oa_b, orgs_ab.admin} <= set(users)
    keys = row_ids(client.get("/api-keys/list/").get_data(as_text=True), "api-keys")
    assert keys == sorted([orgs_ab.key_a, orgs_ab.key_b])
    assert client.get(f"/users/show/{orgs_ab.imp_b}").status_code == 200
    page = client.get("/users/add").get_data(as_text=True)
    assert f">{roles.ADMIN}</option>" in page

