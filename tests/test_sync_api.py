"""The integration REST API (SPEC section 9, SYN-4): keys, validation, idempotency,
files and imports."""
import io
import json

from sqlalchemy import select

from app.extensions import db
from app.models import IntegrationKey, SalesTransaction
from app.models.sync import SyncRecord
from tests.factories import count, drain
from tests.sync_helpers import auth, customer, make_pos, push, records, sale

DOCS = "/api/v1/integration/documents"


def test_pushed_sale_is_stored_and_applied_in_real_time(app, client):
    integration_id, key = make_pos(app)
    response = push(client, key, sale("S-1"))
    assert response.status_code == 202
    body = response.get_json()
    assert body["stored"] == 1 and body["results"][0]["result"] == "stored"
    assert records(app, integration_id)[("sales_transaction", "S-1")][0] == "pending"
    drain(app)
    assert records(app, integration_id)[("sales_transaction", "S-1")] == ("success", None, 1)
    with app.app_context():
        row = db.session.execute(select(SalesTransaction)).scalar()
        assert row.reference == "S-1" and float(row.total) == 3.0 and len(row.lines) == 1


def test_the_same_document_twice_is_stored_once(app, client):
    integration_id, key = make_pos(app)
    assert push(client, key, sale("S-1")).get_json()["stored"] == 1
    again = push(client, key, sale("S-1"), sale("S-1"), sale("S-2")).get_json()
    assert [r["result"] for r in again["results"]] == ["duplicate", "duplicate", "stored"]
    assert again["results"][0]["record_id"] == again["results"][1]["record_id"]
    assert count(app, SyncRecord) == 2
    drain(app)
    push(client, key, sale("S-1"))
    drain(app)
    assert count(app, SalesTransaction) == 2


def test_missing_and_wrong_fields_give_422_per_field_and_store_nothing(app, client):
    _, key = make_pos(app)
    response = push(client, key, sale("OK-1"),
                    {"kind": "sales_transaction", "reference": "", "date": "2026-02-30",
                     "lines": [{"product": "P001", "quantity": "-1", "unit_price": "x"}],
                     "colour": "red"},
                    {"kind": "transfer_in", "reference": "T1", "date": "2026-01-01"},
                    {"kind": "invoice", "reference": "I1", "date": "2026-01-01"})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert response.get_json()["message"].startswith("Nothing was stored")
    assert "documents[1].reference" in errors
    assert "documents[1].date" in errors
    assert "documents[1].lines[0].quantity" in errors
    assert "documents[1].lines[0].unit_price" in errors
    assert errors["documents[1].colour"] == ["Unknown field."]
    assert "documents[2].transfer_out" in errors and "documents[2].lines" in errors
    assert "documents[3].kind" in errors
    assert "documents[0].reference" not in errors
    assert count(app, SyncRecord) == 0, "a valid document of a refused push was stored"


def test_bodies_that_are_not_documents(app, client):
    _, key = make_pos(app)
    for body in (b"not json", b"[1, 2]", b'{"documents": []}', b'{"documents": [1]}', b"{}"):
        response = client.post(DOCS, data=body, headers={**auth(key),
                                                         "Content-Type": "application/json"})
        assert response.status_code == 422, body
        assert response.get_json()["errors"], body
    assert count(app, SyncRecord) == 0


def test_unknown_missing_and_revoked_keys_are_401(app, client, runner):
    integration_id, key = make_pos(app)
    assert client.post(DOCS, json={"documents": [sale("S")]}).status_code == 401
    assert push(client, "mk_" + "x" * 40, sale("S")).status_code == 401
    assert client.post(DOCS, json={"documents": [sale("S")]},
                       headers={"Authorization": key}).status_code == 401
    with app.app_context():
        key_id = db.session.execute(select(IntegrationKey.id)).scalar()
    result = runner.invoke(args=["muara", "apikey", "revoke", str(key_id)])
    assert result.exit_code == 0, result.output
    response = push(client, key, sale("S"))
    assert response.status_code == 401
    assert response.get_json()["message"] == "Unknown or revoked API key."
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(app, SyncRecord) == 0


def test_a_key_reads_only_its_own_integrations_imports(app, client):
    _, key1 = make_pos(app, code="D1")
    _, key2 = make_pos(app, code="D2", integration="Other")
    response = client.post("/api/v1/integration/files", headers=auth(key1), data={
        "module": "customers",
        "file": (io.BytesIO(b"Customer Code,Customer Name\nC9,Nine\n"), "c.csv")})
    assert response.status_code == 202, response.get_json()
    import_id = response.get_json()["import_id"]
    drain(app)
    mine = client.get(f"/api/v1/integration/imports/{import_id}", headers=auth(key1))
    assert mine.status_code == 200
    assert mine.get_json()["status"] == "archived" and mine.get_json()["accepted"] == 1
    theirs = client.get(f"/api/v1/integration/imports/{import_id}", headers=auth(key2))
    assert theirs.status_code == 404 and "Files" not in theirs.get_data(as_text=True)
    assert client.get("/api/v1/integration/imports/999999", headers=auth(key1)).status_code == 404


def test_file_push_errors(app, client):
    _, key = make_pos(app)
    missing = client.post("/api/v1/integration/files", headers=auth(key), data={})
    assert missing.status_code == 422
    assert set(missing.get_json()["errors"]) == {"file", "module"}
    unknown = client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "nonsense", "file": (io.BytesIO(b"a,b\n"), "x.csv")})
    assert unknown.status_code == 422 and "module" in unknown.get_json()["errors"]
    content = b"Customer Code,Customer Name\nC9,Nine\n"
    first = client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "customers", "file": (io.BytesIO(content), "c.csv")})
    assert first.status_code == 202
    again = client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "customers", "file": (io.BytesIO(content), "c.csv")})
    assert again.status_code == 409 and "already imported" in again.get_json()["message"]
    nowhere = client.get("/api/v1/integration/nothing-here", headers=auth(key))
    assert nowhere.status_code == 404 and nowhere.get_json()["message"]


def test_an_inactive_integration_takes_nothing(app, client):
    integration_id, key = make_pos(app)
    from app.models import Integration
    with app.app_context():
        db.session.get(Integration, integration_id).active = False
        db.session.commit()
    response = push(client, key, sale("S-1"))
    assert response.status_code == 403
    assert "inactive" in response.get_json()["message"]
    assert client.post("/api/v1/integration/shift-closed", headers=auth(key)).status_code == 403
    assert count(app, SyncRecord) == 0


def test_apikey_create_prints_the_key_once_and_stores_a_hash(app, runner):
    make_pos(app)
    result = runner.invoke(args=["muara", "apikey", "create", "Files", "--org", "D1"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[0]
    assert key.startswith("mk_") and len(key) > 40
    with app.app_context():
        hashes = db.session.execute(select(IntegrationKey.key_hash)).scalars().all()
    assert key not in hashes and len(hashes) == 2
    bad = runner.invoke(args=["muara", "apikey", "create", "Nope", "--org", "D1"])
    assert bad.exit_code != 0 and "unknown integration" in bad.output


def test_openapi_document_is_served(app, client):
    spec = client.get("/api/v1/integration/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    assert {"/api/v1/integration/documents", "/api/v1/integration/files",
            "/api/v1/integration/imports/{import_id}",
            "/api/v1/integration/shift-closed"} <= paths
    assert "SalesTransactionSchema" in spec["components"]["schemas"]


def test_customers_map_by_source_id_when_the_flag_is_on(app, client):
    from app.models import Customer
    integration_id, key = make_pos(app, use_source_customer_id=True)
    push(client, key, customer("R1", "Umum", customer_id="001"), customer("R2", "No id"))
    drain(app)
    with app.app_context():
        codes = dict(db.session.execute(select(Customer.name, Customer.code)
                                        .where(Customer.name.in_(["Umum", "No id"]))).all())
    assert codes["Umum"] == "001"
    assert codes["No id"].startswith("C-") and len(codes["No id"]) == 10


def test_customers_get_generated_codes_when_the_flag_is_off(app, client):
    from app.models import Customer
    integration_id, key = make_pos(app, use_source_customer_id=False)
    push(client, key, customer("R1", "Umum", customer_id="001"))
    drain(app)
    with app.app_context():
        row = db.session.execute(select(Customer).where(Customer.name == "Umum")).scalar()
    assert row.code != "001" and row.code.startswith("C-") and row.source_id == "001"


def test_the_frameworks_openapi_view_includes_the_api_for_an_admin(app, client, world):
    from tests.conftest import login
    world.user("admin", "Admin")
    login(client, "admin")
    spec = client.get("/api/v1/_openapi").get_json()
    assert "/api/v1/integration/documents" in spec["paths"]
    assert client.get("/swagger/v1").status_code == 200


def test_a_sale_names_a_known_customer_by_code_or_by_the_sources_id(app, client, runner):
    """The customer of a sales transaction must exist: named by its code, or by the id the
    source knows it by (its code was generated); an unknown one fails the record with the
    reason, and a refresh after the customer arrives succeeds. No customer: a walk-in."""
    from app.models import Customer, SalesTransaction
    integration_id, key = make_pos(app, use_source_customer_id=False)
    push(client, key, customer("R1", "Umum", customer_id="001"))
    drain(app)
    push(client, key, sale("S1", customer="001"), sale("S2", customer="C001"),
         sale("S3", customer="GHOST"), sale("S4"))
    drain(app)
    now = records(app, integration_id)
    assert [now[("sales_transaction", s)][0] for s in ("S1", "S2", "S4")] == ["success"] * 3
    assert now[("sales_transaction", "S3")][:2] == (
        "failed", "unknown customer GHOST: synchronize the customer (or add it to the "
                  "customers of the organization), then refresh")
    with app.app_context():
        generated = db.session.execute(select(Customer.code).where(
            Customer.source_id == "001")).scalar()
        stored = dict(db.session.execute(select(SalesTransaction.reference,
                                                SalesTransaction.customer_code)).all())
    assert generated.startswith("C-")
    assert stored == {"S1": generated, "S2": "C001", "S4": None}

    push(client, key, customer("R2", "Ghost", customer_id="GHOST"))
    drain(app)
    result = runner.invoke(args=["muara", "sync-refresh", "Files", "--org", "D1"])
    assert result.exit_code == 0 and json.loads(result.output)["succeeded"] == 1
    with app.app_context():
        assert db.session.execute(select(SalesTransaction.customer_code).where(
            SalesTransaction.reference == "S3")).scalar().startswith("C-")
