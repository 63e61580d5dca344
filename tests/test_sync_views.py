"""The synchronization status panel (SYN-2, seed 001), the integration form's sync
settings (INT-2) and the API keys screen, through real HTTP after a real login."""
from sqlalchemy import select

from app.extensions import db
from app.models import Integration, IntegrationKey, Product
from app.models.integrations import SyncMode
from app.models.sync import SyncRecord, SyncRun
from tests.conftest import login
from tests.factories import drain
from tests.sync_helpers import make_pos, push, records, transfer_in, transfer_out


def failed_pair(app, client):
    """OUT-1 fails (unknown product NEW), IN-1 fails because OUT-1 has not synced."""
    integration_id, key = make_pos(app)
    push(client, key, transfer_out("OUT-1", product="NEW"), transfer_in("IN-1", "OUT-1"))
    with app.app_context():
        from app.services.document_sync import sync_now
        sync_now(db.session.get(Integration, integration_id))
    return integration_id


def add_product(app, integration_id, code="NEW"):
    with app.app_context():
        org_id = db.session.get(Integration, integration_id).organization_id
        db.session.add(Product(organization_id=org_id, code=code, name=code, unit="pcs"))
        db.session.commit()


def test_panel_shows_runs_details_reasons_and_refresh_fixes_in_order(app, client, world):
    integration_id = failed_pair(app, client)
    world.user("imp", "Importer", "D1")
    login(client, "imp")
    panel = client.get(f"/sync-status/integration/{integration_id}").get_data(as_text=True)
    assert "OUT-1" in panel and "IN-1" in panel and "Refresh all failed" in panel
    assert 'data-confirm="Retry all 2 failed records' in panel, \
        "refreshing all needs a confirmation"
    with app.app_context():
        run_id = db.session.execute(select(SyncRun.id)).scalar()
        record_ids = dict(db.session.execute(select(SyncRecord.reference, SyncRecord.id)).all())
    assert f"/sync-status/run/{run_id}" in panel  # View details
    details = client.get(f"/sync-status/run/{run_id}").get_data(as_text=True)
    assert details.count("Failed") >= 2
    reason = client.get(f"/sync-status/record/{record_ids['IN-1']}").get_data(as_text=True)
    assert "transfer out OUT-1 has not been synchronized" in reason

    add_product(app, integration_id)
    response = client.post(f"/sync-status/integration/{integration_id}/refresh",
                           data={"record_id": record_ids["OUT-1"]})
    assert response.status_code == 302
    assert records(app, integration_id)[("transfer_out", "OUT-1")][0] == "success"
    assert records(app, integration_id)[("transfer_in", "IN-1")][0] == "failed"
    client.post(f"/sync-status/integration/{integration_id}/refresh")
    assert records(app, integration_id)[("transfer_in", "IN-1")][0] == "success"
    panel = client.get(f"/sync-status/integration/{integration_id}").get_data(as_text=True)
    assert "No failed records." in panel


def test_other_organizations_panels_are_not_found(app, client, world):
    integration_id = failed_pair(app, client)
    make_pos(app, code="D2", integration="Theirs")
    world.user("other", "Importer", "D2")
    login(client, "other")
    assert client.get(f"/sync-status/integration/{integration_id}").status_code == 404
    with app.app_context():
        run_id = db.session.execute(select(SyncRun.id)).scalar()
    assert client.get(f"/sync-status/run/{run_id}").status_code == 404
    assert client.post(f"/sync-status/integration/{integration_id}/refresh").status_code == 404
    index = client.get("/sync-status/").get_data(as_text=True)
    assert "Theirs" in index and ">Files<" not in index


def test_supervisor_reads_but_does_not_refresh(app, client, world):
    integration_id = failed_pair(app, client)
    world.user("sup", "Supervisor", "D1")
    login(client, "sup")
    panel = client.get(f"/sync-status/integration/{integration_id}")
    assert panel.status_code == 200 and "Refresh all failed" not in panel.get_data(as_text=True)
    response = client.post(f"/sync-status/integration/{integration_id}/refresh")
    assert response.status_code in (302, 403)
    assert records(app, integration_id)[("transfer_out", "OUT-1")][2] == 1, "it was retried"


def test_transfers_by_hand_from_the_panel(app, client, world):
    integration_id, key = make_pos(app)
    push(client, key, transfer_out("OUT-1"))
    drain(app)
    assert records(app, integration_id)[("transfer_out", "OUT-1")][0] == "pending"
    world.user("imp", "Importer", "D1")
    login(client, "imp")
    client.post(f"/sync-status/integration/{integration_id}/sync-now", data={"transfers": "1"})
    assert records(app, integration_id)[("transfer_out", "OUT-1")][0] == "success"


def test_integration_form_saves_and_checks_sync_settings(app, client, world):
    integration_id, _ = make_pos(app)
    world.user("admin", "Admin")
    login(client, "admin")
    with app.app_context():
        org_id = db.session.get(Integration, integration_id).organization_id
    form = {"organization": org_id, "name": "Files", "kind": "external", "active": "y",
            "sync_mode": "scheduled", "sync_time": "", "transfer_sync_time": ""}
    client.post(f"/integrationview/edit/{integration_id}", data=form)
    with app.app_context():
        assert db.session.get(Integration, integration_id).sync_mode == SyncMode.realtime
    form.update(sync_time="06:15", transfer_sync_enabled="y", transfer_sync_time="22:00",
                use_source_customer_id="y")
    client.post(f"/integrationview/edit/{integration_id}", data=form)
    with app.app_context():
        row = db.session.get(Integration, integration_id)
        assert (row.sync_mode, row.sync_time, row.transfer_sync_enabled,
                row.transfer_sync_time, row.use_source_customer_id) == (
            SyncMode.scheduled, "06:15", True, "22:00", True)
    show = client.get(f"/integrationview/show/{integration_id}").get_data(as_text=True)
    assert "Synchronization status" in show

    # Unchecked boxes (nothing sent for them) save "no".
    for name in ("active", "transfer_sync_enabled", "use_source_customer_id"):
        form.pop(name, None)
    form.update(transfer_sync_time="")
    response = client.post(f"/integrationview/edit/{integration_id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Integration, integration_id)
        assert (row.active, row.transfer_sync_enabled, row.use_source_customer_id) == (
            False, False, False)


def test_admin_lists_and_revokes_api_keys(app, client, world):
    integration_id, key = make_pos(app)
    world.user("admin", "Admin")
    login(client, "admin")
    listing = client.get("/api-keys/list/").get_data(as_text=True)
    assert key[:10] in listing and key not in listing
    with app.app_context():
        key_id = db.session.execute(select(IntegrationKey.id)).scalar()
    client.post("/api-keys/action_post", data={"action": "revoke", "rowid": [str(key_id)]})
    response = push(client, key, transfer_out("OUT-9"))
    assert response.status_code == 401
