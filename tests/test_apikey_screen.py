"""API keys made on the API Keys screen (issue 17.7): "Create key" for those allowed, the
key shown once with a copy hint and never again, working against the API, and audited as
`muara apikey create` is (one mechanism, app/services/apikeys.py)."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Integration, IntegrationKey
from tests.conftest import denied, login
from tests.factories import html, make_distributor
from tests.sync_helpers import push, sale


def make_pos(app):
    """D1 with its External integration "Files" (and products), without a key yet."""
    make_distributor(app, integration="Files")
    with app.app_context():
        return db.session.execute(select(Integration.id).where(
            Integration.name == "Files")).scalar_one(), None


def created_key(page):
    return re.search(r'id="api-key" value="(mk_[^"]+)"', page).group(1)


def test_admin_creates_a_key_shown_once_that_the_api_takes(app, client, world):
    integration_id, _ = make_pos(app)
    world.user("admin", "Admin")
    login(client, "admin")
    listing = html(client.get("/api-keys/list/"))
    assert 'id="create-key"' in listing and "/api-keys/create" in listing
    form = html(client.get("/api-keys/create"))
    assert f'value="{integration_id}"' in form and "D1 · Files" in form

    response = client.post("/api-keys/create", data={"integration": integration_id})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = html(response)
    key = created_key(page)
    assert "shown this once" in page and 'id="copy-key"' in page and "Ctrl+C" in page
    # The key works for its integration...
    assert push(client, key, sale("S-1")).status_code == 202
    # ...and no screen shows it again: only its first characters.
    with app.app_context():
        row = db.session.execute(select(IntegrationKey)).scalar_one()
        key_id, prefix = row.id, row.prefix
        assert row.key_hash != key and key.startswith(prefix)
    login(client, "admin")
    for url in ("/api-keys/list/", f"/api-keys/show/{key_id}"):
        shown = html(client.get(url))
        assert prefix in shown and key not in shown
    # Audited like the command line: who made it, for which organization, without the key.
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "create", AuditEvent.entity == "integration_key")).scalar_one()
        assert (event.actor, event.organization, event.summary) == ("admin", "D1", prefix)
        assert key not in (event.changes or "")


def test_an_inactive_integration_gets_no_key(app, client, world):
    integration_id, _ = make_pos(app)
    with app.app_context():
        db.session.get(Integration, integration_id).active = False
        db.session.commit()
    world.user("admin", "Admin")
    login(client, "admin")
    response = client.post("/api-keys/create", data={"integration": integration_id},
                           follow_redirects=True)
    assert "is inactive: activate it before giving it a key" in html(response)
    with app.app_context():
        assert db.session.execute(select(IntegrationKey)).first() is None


def test_users_who_may_not_manage_keys_see_no_create_key(app, client, world):
    integration_id, _ = make_pos(app)
    world.user("imp", "Importer", "D1")
    login(client, "imp")
    assert denied(client.get("/api-keys/create"))
    assert denied(client.post("/api-keys/create", data={"integration": integration_id}))
    with app.app_context():
        assert db.session.execute(select(IntegrationKey)).first() is None
