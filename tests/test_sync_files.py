"""A file pushed through an integration's API is a sync record like every synchronized
document (SYN-2, issue 17.13): it shows on the Synchronization Status panel with its
status and reason, and Refresh imports it again."""
import io

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, Integration
from app.models.sync import SyncRecord, SyncRun
from tests.conftest import login
from tests.factories import drain, html
from tests.sync_helpers import auth, make_pos

HEADER = "Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,Location Code\n"
GOOD = HEADER + "INV-1,C001,2026-01-05,100,PO-1,JKT\n"
ONE_UNKNOWN = GOOD + "INV-2,C404,2026-01-05,50,PO-2,JKT\n"


def push_file(client, key, text, name="invoices.csv"):
    response = client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "open_invoices", "file": (io.BytesIO(text.encode()), name)})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["import_id"]


def file_records(app, integration_id):
    with app.app_context():
        return [(r.kind, r.reference, r.status.value, r.reason, r.attempts)
                for r in db.session.execute(select(SyncRecord).where(
                    SyncRecord.integration_id == integration_id)).scalars()]


def test_a_pushed_file_is_a_sync_record_that_follows_its_import(app, client, world):
    integration_id, key = make_pos(app)
    push_file(client, key, GOOD)
    # Stored and queued: waiting, like a document waiting for its sync.
    assert file_records(app, integration_id) == [
        ("file", "invoices.csv", "pending", None, 0)]
    drain(app)
    assert file_records(app, integration_id) == [
        ("file", "invoices.csv", "success", None, 1)]
    with app.app_context():
        run = db.session.execute(select(SyncRun)).scalar_one()
        assert (run.trigger, run.succeeded, run.failed) == ("file_import", 1, 0)
        run_id = run.id
    world.user("imp", "Importer", "D1")
    login(client, "imp")
    panel = html(client.get(f"/sync-status/integration/{integration_id}"))
    assert "File import" in panel and f"/sync-status/run/{run_id}" in panel
    details = html(client.get(f"/sync-status/run/{run_id}"))
    assert "Imported file" in details and "invoices.csv" in details and "Success" in details
    index = html(client.get("/sync-status/"))
    assert "Files" in index


def test_a_file_with_rejections_fails_with_its_reason_and_refresh_imports_it_again(
        app, client, world):
    integration_id, key = make_pos(app)
    import_id = push_file(client, key, ONE_UNKNOWN)
    drain(app)
    [(kind, reference, status, reason, attempts)] = file_records(app, integration_id)
    assert (kind, reference, status, attempts) == ("file", "invoices.csv", "failed", 1)
    assert reason.startswith("1 of 2 rows was not imported")
    world.user("imp", "Importer", "D1")
    login(client, "imp")
    panel = html(client.get(f"/sync-status/integration/{integration_id}"))
    failed = panel[panel.index('id="failed-records"'):panel.index("<h3>Runs")]
    assert "Imported file" in failed and "invoices.csv" in failed and "refresh-one" in failed
    with app.app_context():
        record_id = db.session.execute(select(SyncRecord.id)).scalar_one()
    page = html(client.get(f"/sync-status/record/{record_id}"))
    assert "1 of 2 rows was not imported" in page
    assert f"/imports/show/{import_id}" in page and "Refresh" in page

    # The missing customer is added; Refresh imports the stored file again.
    with app.app_context():
        org_id = db.session.get(Integration, integration_id).organization_id
        db.session.add(Customer(organization_id=org_id, code="C404", name="Late", balance=0))
        db.session.commit()
    response = client.post(f"/sync-status/integration/{integration_id}/refresh",
                           data={"record_id": record_id}, follow_redirects=True)
    assert "1 file queued to be imported again" in html(response)
    assert file_records(app, integration_id)[0][2] == "pending"
    drain(app)
    assert file_records(app, integration_id) == [
        ("file", "invoices.csv", "success", None, 2)]


def test_refresh_all_failed_retries_files_and_a_fixed_file_pushed_again_is_the_same_record(
        app, client):
    integration_id, key = make_pos(app)
    push_file(client, key, ONE_UNKNOWN)
    drain(app)
    with app.app_context():
        from app.services.document_sync import refresh
        result = refresh(db.session.get(Integration, integration_id))
    assert result["files_queued"] == 1
    drain(app)
    assert file_records(app, integration_id)[0][2:] == (
        "failed", file_records(app, integration_id)[0][3], 2)
    # The fixed file, pushed under the same name: the record follows the new import.
    push_file(client, key, GOOD + "INV-2,C002,2026-01-05,50,PO-2,JKT\n")
    drain(app)
    assert file_records(app, integration_id) == [
        ("file", "invoices.csv", "success", None, 3)]


def test_files_uploaded_on_the_screen_or_cli_are_not_sync_records(app, client, runner,
                                                                   tmp_path):
    integration_id, _ = make_pos(app)
    path = tmp_path / "invoices.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["muara", "import", str(path), "--module", "open_invoices",
                                 "--org", "D1", "--integration", "Files", "--wait"])
    assert result.exit_code == 0, result.output
    assert file_records(app, integration_id) == []
