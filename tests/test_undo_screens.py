"""Check only and Undo on the screens and in the REST API (issue 19), with real logins:
the Data Import screen's "Check only", "Import now" of a checked file, the Undo
confirmation page (counts before anything happens, POST to confirm), who may undo, and
another organization's file (404)."""
import io
import json

import openpyxl

from app.extensions import db
from app.models import ImportFile, OpenInvoice
from app.models.imports import ImportStatus
from tests.conftest import login
from tests.factories import count, drain, html, invoice_xlsx, upload, uploaded_id
from tests.sync_helpers import auth, make_pos

ROWS = [["INV-1", "C001", "2025-01-31", 100, "PO-1", None],
        ["INV-2", "C002", "2025-02-01", 20, "PO-2", None],
        ["INV-3", "C404", "2025-02-01", 20, "PO-3", None]]


def status_of(app, pk):
    with app.app_context():
        return db.session.get(ImportFile, pk).status


def test_check_only_then_import_now_from_the_screens(app, client, portal):
    login(client, "imp_a")
    page = html(client.get(f"/data-import/?org={portal.a}"))
    assert 'id="check-button"' in page and "Check only" in page
    pk = uploaded_id(upload(client, invoice_xlsx(ROWS), org=str(portal.a), dry_run="1"))
    drain(app)
    status = client.get(f"/data-import/status/{pk}").get_json()
    assert (status["status"], status["dry_run"], status["would_create"], status["rejected"]) \
        == ("checked", True, 2, 1)
    assert status["outcome_text"] == ("Checked, nothing written. An import would create 2 "
                                      "records, update 0 and leave 0 unchanged; 1 row was "
                                      "rejected.")
    assert count(app, OpenInvoice) == 0
    progress = html(client.get(f"/data-import/progress/{pk}"))
    assert "Checking invoices.xlsx" in progress and 'id="import-now-form"' in progress
    shown = html(client.get(f"/imports/show/{pk}"))
    assert 'id="import-now-button"' in shown and 'id="check-result"' in shown
    assert 'id="undo-button"' not in shown  # a checked file wrote nothing to undo
    # Its rejections are downloaded as an import's are: the original row and the reason.
    assert f"/imports/rejected-rows/{pk}" in shown
    download = client.get(f"/imports/rejected-rows/{pk}")
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(download.data)).active
    rows = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[1][:3] == ["INV-3", "C404", "2025-02-01"]
    assert "C404" in rows[1][-1] and "does not exist" in rows[1][-1]

    response = client.post(f"/imports/import-now/{pk}")
    assert response.headers["Location"].endswith(f"/data-import/progress/{pk}")
    drain(app)
    assert status_of(app, pk) == ImportStatus.needs_attention
    assert count(app, OpenInvoice) == 2
    again = client.post(f"/imports/import-now/{pk}", follow_redirects=True)
    assert "is not a checked file" in html(again)
    assert count(app, ImportFile) == 1


def test_undo_confirmation_page_then_undo(app, client, portal):
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(ROWS[:2]), org=str(portal.a)))
    drain(app)
    assert count(app, OpenInvoice) == 2
    assert 'id="undo-button"' not in html(client.get(f"/imports/show/{pk}"))
    assert client.get(f"/imports/undo/{pk}").status_code == 403  # an Importer may not

    login(client, "sup_a")
    assert 'id="undo-button"' in html(client.get(f"/imports/show/{pk}"))
    page = html(client.get(f"/imports/undo/{pk}"))
    assert "Nothing has changed yet" in page
    assert "<td>Open invoices</td><td>2</td><td>0</td><td>0</td>" in page
    assert count(app, OpenInvoice) == 2  # the page changed nothing

    response = client.post(f"/imports/undo/{pk}")
    assert response.status_code == 302
    drain(app)
    assert status_of(app, pk) == ImportStatus.undone
    assert count(app, OpenInvoice) == 0
    shown = html(client.get(f"/imports/show/{pk}"))
    assert "2 removed, 0 given back their earlier values, 0 kept." in shown
    refused = client.get(f"/imports/undo/{pk}")
    assert refused.status_code == 409
    assert "already undone" in html(refused)


def test_another_organizations_file_is_not_found(app, client, portal):
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(ROWS[:2]), org=str(portal.a)))
    drain(app)
    login(client, "sup_b")
    assert client.get(f"/imports/undo/{pk}").status_code == 404
    assert client.post(f"/imports/undo/{pk}").status_code == 404
    assert client.post(f"/imports/import-now/{pk}").status_code == 404
    assert status_of(app, pk) == ImportStatus.archived


def test_api_dry_run(app, client):
    _, key = make_pos(app)
    content = b"Customer Code,Customer Name\nC9,Nine\nC10,\n"
    response = client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "customers", "dry_run": "true", "file": (io.BytesIO(content), "c.csv")})
    assert response.status_code == 202, response.get_json()
    import_id = response.get_json()["import_id"]
    drain(app)
    result = client.get(f"/api/v1/integration/imports/{import_id}", headers=auth(key))
    data = result.get_json()
    assert {k: data[k] for k in ("status", "dry_run", "rows", "would_create", "would_update",
                                 "unchanged", "rejected")} == {
        "status": "checked", "dry_run": True, "rows": 2, "would_create": 1,
        "would_update": 0, "unchanged": 0, "rejected": 1}
    assert [r["reason"] for r in data["rejections"]] == ["required"]
    wrong = client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "customers", "dry_run": "perhaps", "file": (io.BytesIO(content), "c.csv")})
    assert wrong.status_code == 422
    assert json.loads(wrong.data)["errors"] == {"dry_run": ["Must be true or false."]}
