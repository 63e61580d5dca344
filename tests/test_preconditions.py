"""Preconditions say who can fix them and link to the fixing screen when the signed-in
user can (issue 17 item 5); Connect of an OAuth service without its client settings says
what the operator must set and never sends the browser away (issue 17 item 9)."""
import re

import pytest
from sqlalchemy import update

from app.extensions import db
from app.models import Connection, Integration
from app.security import roles
from app.services import preconditions
from app.services.directory import add_integration
from tests.conftest import login
from tests.factories import html

WHO_ADMINS = "An Organization Admin or the platform Admin can fix this."


def give_role(app, username, role_name):
    """A second role for a login (a distributor's Importer who is also its Org Admin)."""
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=username)
        user.roles.append(sm.find_role(role_name))
        db.session.commit()


def cut_everything(app):
    """Distributor A has no active connection and no active External integration."""
    with app.app_context():
        db.session.execute(update(Connection).values(active=False))
        db.session.execute(update(Integration).values(active=False))
        db.session.commit()


def precondition_alerts(page):
    return re.findall(r'class="alert alert-warning precondition"[^>]*>(.*?)</div>', page, re.S)


def test_the_words_name_who_can_fix_it(ctx):
    class Org:
        id, code = 1, "D1"
    assert preconditions.no_connection(Org).who == WHO_ADMINS
    assert preconditions.missing_templates(Org, ["Open Invoices"]).who == \
        "A Template Editor or the platform Admin can fix this."
    assert preconditions.service_not_configured("X", ["A"]).who == \
        "The portal's operator can fix this."


def test_an_importer_is_told_who_can_fix_it_without_a_link(app, client, portal):
    cut_everything(app)
    login(client, "imp_a")
    alerts = precondition_alerts(html(client.get("/data-import/")))
    assert len(alerts) == 2
    for alert in alerts:
        assert WHO_ADMINS in alert
        assert "<a " not in alert


@pytest.mark.parametrize("username", ["imp_a", "root"])
def test_who_can_fix_it_gets_the_link_to_the_screen(app, client, world, portal, username):
    cut_everything(app)
    if username == "imp_a":
        give_role(app, "imp_a", roles.ORG_ADMIN)
    else:
        world.user("root", roles.ADMIN)
    login(client, username)
    page = html(client.get("/data-import/?org=%d" % portal.a))
    links = re.findall(r'<a class="alert-link precondition-fix" href="([^"]+)"', page)
    assert links[:2] == ["/connectionview/add", "/integrationview/add"]
    # The missing templates are a Template Editor's: only the platform Admin gets that link.
    assert links[2:] == ([] if username == "imp_a" else [f"/templateview/defaults?org={portal.a}"])
    for link in links:
        assert client.get(link).status_code == 200


def test_an_upload_refused_for_a_precondition_links_to_the_fix(app, client, portal):
    from tests.factories import invoice_xlsx, upload
    cut_everything(app)
    give_role(app, "imp_a", roles.ORG_ADMIN)
    login(client, "imp_a")
    response = upload(client, invoice_xlsx([]))
    assert response.status_code == 400
    error = re.search(r'id="import-error"[^>]*>(.*?)</div>', html(response), re.S).group(1)
    assert "has no active connection with a principal" in error and WHO_ADMINS in error
    assert 'href="/connectionview/add"' in error


# --- an OAuth service without its client settings ------------------------------------

@pytest.fixture
def unconfigured(app):
    saved = {k: app.config.get(k) for k in ("ACCURATE_CLIENT_ID", "ACCURATE_CLIENT_SECRET")}
    app.config.update(ACCURATE_CLIENT_ID=None, ACCURATE_CLIENT_SECRET=None)
    yield app
    app.config.update(saved)


def test_connect_without_a_client_says_what_the_operator_must_set(
        app, client, setup, unconfigured):
    login(client, "imp1")
    page = html(client.get(f"/service-links/integration/{setup['acc1']}"))
    note = re.search(r'id="service-not-configured"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "Accurate Online is not configured on this portal" in note
    assert "ACCURATE_CLIENT_ID and ACCURATE_CLIENT_SECRET" in note
    assert re.search(r'id="connect-service" disabled', page)

    # A Connect posted anyway stays in the portal: no redirect with an empty client_id.
    response = client.post(f"/service-links/integration/{setup['acc1']}/connect")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/service-links/integration/{setup['acc1']}")
    with client.session_transaction() as session:
        assert "service_oauth" not in session
    followed = html(client.get(response.headers["Location"]))
    assert "ACCURATE_CLIENT_ID and ACCURATE_CLIENT_SECRET" in followed


def test_only_the_missing_setting_is_named(app, client, setup, unconfigured):
    app.config["ACCURATE_CLIENT_ID"] = "portal-client"
    login(client, "imp1")
    page = html(client.get(f"/service-links/integration/{setup['acc1']}"))
    note = re.search(r'id="service-not-configured"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "must set ACCURATE_CLIENT_SECRET (" in note
    assert "ACCURATE_CLIENT_ID" not in note


def test_a_configured_service_shows_no_note_and_connects(app, client, setup, fake):
    login(client, "imp1")
    page = html(client.get(f"/service-links/integration/{setup['acc1']}"))
    assert 'id="service-not-configured"' not in page
    response = client.post(f"/service-links/integration/{setup['acc1']}/connect")
    assert "client_id=" in response.headers["Location"]
    assert "client_id=&" not in response.headers["Location"]


def test_an_inactive_integration_links_its_org_admin_to_the_edit_screen(
        app, client, world, setup, fake):
    pk = world.run(add_integration, "DIST1", "Accurate 2", "accurate", active=False)
    world.user("oa1", roles.ORG_ADMIN, "DIST1")
    login(client, "oa1")
    response = client.post(f"/service-links/integration/{pk}/connect", follow_redirects=True)
    page = html(response)
    assert f"Integration Accurate 2 is inactive: activate it before connecting the service. " \
           f"{WHO_ADMINS}" in page
    assert f'href="/integrationview/edit/{pk}"' in page
