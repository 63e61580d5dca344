"""The audit trail (issue 18): one test per kind of event, each through the screen, the
command line or the API that a person or system really uses, checking who, from where,
which organization and the before/after values, and that no secret is written down."""
import getpass
import io

from sqlalchemy import select

from app.extensions import db
from app.models import (
    ImportRejection,
    Integration,
    IntegrationKey,
    Organization,
    TemplateField,
)
from app.models.audit import AuditEvent
from app.services.audit import as_dict
from tests.conftest import PASSWORD, login
from tests.factories import (
    ERP_COLUMNS,
    VALID_ROWS,
    connect,
    drain,
    invoice_xlsx,
    line_id,
    make_distributor,
    page_of,
    rejection_ids,
    submit,
    upload,
    uploaded_id,
)
from tests.sync_helpers import auth, make_pos

CLI = f"cli:{getpass.getuser()}"


def trail(app, action=None, entity=None):
    """The events, oldest first, as `muara audit` prints them."""
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        if entity:
            query = query.where(AuditEvent.entity == entity)
        return [as_dict(row) for row in db.session.execute(query).scalars()]


def only(events):
    assert len(events) == 1, events
    return events[0]


def raw_trail(app):
    """Every stored value of the trail as one text, to look for secrets in."""
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.__table__)).all()
    return " ".join(str(value) for row in rows for value in row)


# --- sign-ins ---------------------------------------------------------------------------

def test_a_sign_in_records_the_user_the_address_and_the_organization(app, client, world):
    world.org("D1")
    user_id = world.user("imp1", "Importer", "D1")
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    login(client, "imp1")
    event = only(trail(app, "sign_in"))
    assert (event["actor"], event["address"], event["organization"], event["entity"],
            event["entity_id"]) == ("imp1", "203.0.113.7", "D1", "ab_user", str(user_id))
    # the framework's own bookkeeping of the sign-in (login count, last login) is no event
    assert trail(app, "update", "ab_user") == []


def test_failed_sign_ins_are_recorded_without_the_password(app, client, world):
    world.org("D1")
    user_id = world.user("imp1", "Importer", "D1")
    wrong = client.post("/login/", data={"username": "imp1", "password": "Guess-123-xyz"})
    nobody = client.post("/login/", data={"username": "no-such-user", "password": "pw-xyz-987"})
    assert "/login" in wrong.headers["Location"] and "/login" in nobody.headers["Location"]
    events = trail(app, "sign_in_failed")
    assert [(e["actor"], e["entity_id"], e["organization"]) for e in events] == [
        ("anonymous", str(user_id), "D1"), ("anonymous", None, None)]
    assert "imp1" in events[0]["summary"] and "no-such-user" in events[1]["summary"]
    assert trail(app, "sign_in") == []
    stored = raw_trail(app)
    assert "Guess-123-xyz" not in stored and "pw-xyz-987" not in stored


def test_sign_ins_on_the_api_login_are_recorded_too(app, client, world):
    world.org("D1")
    world.user("imp1", "Importer", "D1")
    refused = client.post("/api/v1/security/login", json={
        "username": "imp1", "password": "not-it-at-all", "provider": "db"})
    accepted = client.post("/api/v1/security/login", json={
        "username": "imp1", "password": PASSWORD, "provider": "db"})
    assert (refused.status_code, accepted.status_code) == (401, 200)
    assert [(e["action"], e["actor"]) for e in trail(app) if e["entity"] == "ab_user"
            and e["action"].startswith("sign_in")] == [("sign_in_failed", "anonymous"),
                                                      ("sign_in", "imp1")]
    assert "not-it-at-all" not in raw_trail(app)


# --- uploads, forced uploads, re-processing, Sync All, rejections -----------------------

def test_an_upload_and_a_forced_upload_are_recorded(app, client, portal):
    login(client, "imp_a")
    content = invoice_xlsx(VALID_ROWS)
    first = uploaded_id(upload(client, content, filename="first.xlsx"))
    drain(app)
    forced = uploaded_id(upload(client, content, filename="again.xlsx", force="1"))
    events = trail(app, "upload")
    assert [(e["actor"], e["entity"], e["entity_id"], e["organization"], e["summary"])
            for e in events] == [("imp_a", "import_file", str(first), "DIST-A", "first.xlsx"),
                                 ("imp_a", "import_file", str(forced), "DIST-A", "again.xlsx")]
    assert "forced" not in events[0]["changes"] or events[0]["changes"]["forced"][1] is False
    assert events[1]["changes"]["forced"] == [None, True]
    assert events[1]["changes"]["module"] == [None, "open_invoices"]
    # the worker's progress on the file (status, counters) is not someone's act
    assert trail(app, "update", "import_file") == []


def test_a_file_pushed_with_an_api_key_is_recorded_under_the_key(app, client):
    _, key = make_pos(app)
    response = client.post("/api/v1/integration/files", headers=auth(key), data={
        "module": "customers",
        "file": (io.BytesIO(b"Customer Code,Customer Name\nC9,Nine\n"), "c.csv")})
    assert response.status_code == 202
    drain(app)
    event = only(trail(app, "upload"))
    assert (event["actor"], event["organization"]) == (f"api-key:{key[:10]}", "D1")


def test_a_reprocessed_file_is_recorded(app, client, mixed):
    login(client, "sup_a")
    assert client.post(f"/imports/reprocess/{mixed.mixed}").status_code == 302
    event = only(trail(app, "reprocess"))
    assert (event["actor"], event["entity"], event["entity_id"], event["organization"],
            event["summary"]) == ("sup_a", "import_file", str(mixed.mixed), "DIST-A",
                                  "mixed.xlsx")


def test_sync_all_is_recorded_from_the_screen_and_the_command_line(app, client, runner,
                                                                   world):
    world.org("P1", kind="principal")
    world.user("prin", "Principal", "P1")
    login(client, "prin")
    assert client.post("/sync-all/run").status_code == 302
    assert runner.invoke(args=["muara", "sync-all", "P1"]).exit_code == 0
    events = trail(app, "sync_all")
    assert [(e["actor"], e["organization"]) for e in events] == [("prin", "P1"), (CLI, "P1")]


def test_resolving_rejections_records_each_before_and_after(app, client, mixed):
    ids = rejection_ids(app, mixed.mixed)
    login(client, "sup_a")
    client.post("/rejections/action_post", data={"action": "resolve", "rowid": [str(ids[0])]})
    event = only(trail(app, "update", "import_rejection"))
    assert (event["actor"], event["entity_id"], event["organization"], event["changes"]) == \
        ("sup_a", str(ids[0]), "DIST-A", {"resolved": [False, True]})


# --- templates and their lines ----------------------------------------------------------

def test_templates_and_their_lines_record_create_update_and_delete(app, client,
                                                                  erp_template):
    # the default templates of make_distributor are the system's; the editor's are hers
    created = only([e for e in trail(app, "create", "mapper_template") if e["actor"] == "ed"])
    assert (created["organization"], created["summary"], created["address"]) == \
        ("D1", "ERP invoices", "127.0.0.1")
    lines = [e for e in trail(app, "create", "template_field") if e["actor"] == "ed"]
    assert [e["changes"]["field"][1] for e in lines] == list(ERP_COLUMNS)
    assert {e["organization"] for e in lines} == {"D1"}
    pk = line_id(app, erp_template, "customer_po")
    with app.app_context():
        # posted as stored: the test's form reader keeps a textarea's leading newline
        value_map = db.session.get(TemplateField, pk).value_map
    submit(client, f"/templatefieldview/edit/{pk}", {"source_column": "Purchase Order",
                                                     "value_map": value_map})
    edited = only(trail(app, "update", "template_field"))
    # only what changed, though the form posted every field
    assert (edited["actor"], edited["organization"], edited["changes"]) == \
        ("ed", "D1", {"source_column": ["PO", "Purchase Order"]})
    assert client.post(f"/templatefieldview/delete/{pk}").status_code == 302
    deleted = only(trail(app, "delete", "template_field"))
    assert deleted["entity_id"] == str(pk)
    assert deleted["changes"]["source_column"] == ["Purchase Order", None]


# --- organizations, connections, integrations and sync settings --------------------------

def test_organizations_are_recorded_from_the_command_line_and_the_screen(app, client,
                                                                         runner, world):
    world.user("admin", "Admin")
    result = runner.invoke(args=["muara", "org", "add", "D9", "--name", "Nine",
                                 "--kind", "distributor"])
    assert result.exit_code == 0, result.output
    created = only(trail(app, "create", "organization"))
    assert (created["actor"], created["organization"], created["changes"]["name"]) == \
        (CLI, "D9", [None, "Nine"])
    login(client, "admin")
    with app.app_context():
        pk = db.session.execute(select(AuditEvent.entity_id).where(
            AuditEvent.entity == "organization")).scalar()
    submit(client, f"/organizationview/edit/{pk}", {"name": "Nine Ltd"})
    edited = only(trail(app, "update", "organization"))
    assert (edited["actor"], edited["address"], edited["changes"]) == \
        ("admin", "127.0.0.1", {"name": ["Nine", "Nine Ltd"]})


def test_connections_record_their_state_before_and_after(app, runner, world):
    world.org("D1")
    world.org("P1", kind="principal")
    assert runner.invoke(args=["muara", "connect", "D1", "P1"]).exit_code == 0
    assert runner.invoke(args=["muara", "connect", "D1", "P1", "--inactive"]).exit_code == 0
    created = only(trail(app, "create", "connection"))
    updated = only(trail(app, "update", "connection"))
    assert (created["actor"], created["organization"], created["changes"]["active"]) == \
        (CLI, "D1", [None, True])
    assert updated["changes"] == {"active": [True, False]}


def test_integrations_and_their_sync_settings_are_recorded(app, runner, world):
    world.org("D1")
    assert runner.invoke(args=["muara", "integration", "add", "D1", "POS",
                               "--kind", "pos"]).exit_code == 0
    result = runner.invoke(args=["muara", "sync-settings", "POS", "--org", "D1",
                                 "--mode", "scheduled", "--time", "21:30"])
    assert result.exit_code == 0, result.output
    created = only(trail(app, "create", "integration"))
    assert (created["summary"], created["organization"]) == ("POS", "D1")
    settings = only(trail(app, "update", "integration"))
    assert settings["actor"] == CLI
    assert settings["changes"] == {"sync_mode": ["realtime", "scheduled"],
                                   "sync_time": [None, "21:30"]}


# --- users and roles, API keys, services -------------------------------------------------

def test_users_and_their_roles_are_recorded_and_passwords_never(app, client, runner, world):
    world.org("D1")
    result = runner.invoke(args=["muara", "user", "add", "ann", "--org", "D1",
                                 "--role", "Importer", "--email", "ann@example.test",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    created = only(trail(app, "create", "ab_user"))
    assert created["actor"] == CLI and created["summary"] == "ann"
    assert created["changes"]["password"] == "changed"
    assert created["changes"]["roles"] == [[], ["Importer"]]
    membership = only(trail(app, "create", "membership"))
    assert membership["organization"] == "D1"

    from flask_appbuilder.security.sqla.models import Role, User
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "ann")).scalar_one()
        supervisor = db.session.execute(select(Role).where(Role.name == "Supervisor")).scalar_one()
        user.roles = [supervisor]
        user.password = "pbkdf2:sha256:new-hash-value"
        db.session.commit()
        stored_hash = db.session.execute(
            select(User.password).where(User.username == "ann")).scalar()
    changed = only(trail(app, "update", "ab_user"))
    assert (changed["actor"], changed["organization"]) == ("system", "D1")
    assert changed["changes"] == {"password": "changed", "roles": [["Importer"], ["Supervisor"]]}
    assert stored_hash not in raw_trail(app) and "new-hash-value" not in raw_trail(app)


def test_api_keys_created_and_revoked_are_recorded_without_the_key(app, runner):
    make_distributor(app, integration="Files")
    created_run = runner.invoke(args=["muara", "apikey", "create", "Files", "--org", "D1"])
    assert created_run.exit_code == 0, created_run.output
    key = created_run.output.strip().splitlines()[-1].split()[-1]
    with app.app_context():
        row = db.session.execute(select(IntegrationKey)).scalar_one()
        key_id, key_hash, prefix = row.id, row.key_hash, row.prefix
    assert runner.invoke(args=["muara", "apikey", "revoke", str(key_id)]).exit_code == 0
    created = only(trail(app, "create", "integration_key"))
    assert (created["actor"], created["organization"], created["summary"]) == (CLI, "D1", prefix)
    assert created["changes"]["key_hash"] == "changed"
    revoked = only(trail(app, "update", "integration_key"))
    assert list(revoked["changes"]) == ["revoked_at"]
    assert revoked["changes"]["revoked_at"][0] is None
    stored = raw_trail(app)
    assert key_hash not in stored and key not in stored


def test_a_service_connected_and_removed_is_recorded_without_its_tokens(app, client, setup,
                                                                        fake):
    from app.models.service_links import ServiceLink
    login(client, "imp1")
    connect(client, setup["acc1"])
    with app.app_context():
        secrets_stored = db.session.execute(select(ServiceLink.access_token,
                                                   ServiceLink.session_id)).one()
    assert client.post(f"{page_of(setup['acc1'])}/remove").status_code == 302
    events = trail(app, entity="service_link")
    assert [e["action"] for e in events] == ["create", "update", "update"]
    assert {(e["actor"], e["organization"]) for e in events} == {("imp1", "DIST1")}
    authorized, connected = events[0], events[1]
    assert authorized["changes"]["status"] == [None, "choose_branch"]
    assert authorized["changes"]["access_token"] == "changed"
    assert connected["changes"]["status"] == ["choose_branch", "connected"]
    assert connected["changes"]["session_id"] == "changed"
    removed = events[-1]
    assert removed["action"] == "update"
    assert removed["changes"]["status"] == ["connected", "disconnected"]
    assert removed["changes"]["access_token"] == "changed"
    stored = raw_trail(app)
    assert all(secret not in stored for secret in secrets_stored)
    issued = fake.access_tokens | fake.refresh_tokens
    assert issued and not any(token in stored for token in issued)


# --- exports ----------------------------------------------------------------------------

def test_exports_from_the_command_line_and_screen_downloads_are_recorded(app, client,
                                                                         runner, mixed):
    result = runner.invoke(args=["muara", "export", "open_invoices", "--org", "DIST-A"])
    assert result.exit_code == 0, result.output
    login(client, "sup_a")
    assert client.get(f"/imports/download/{mixed.mixed}").status_code == 200
    events = trail(app, "export")
    assert [(e["actor"], e["entity"], e["organization"]) for e in events] == [
        (CLI, "open_invoices", "DIST-A"), ("sup_a", "ImportFileView.download", "DIST-A")]
    assert events[0]["summary"] == "open_invoices as csv"
    assert (events[1]["entity_id"], events[1]["summary"]) == (str(mixed.mixed), "mixed.xlsx")


def test_a_refused_export_records_nothing(app, runner, world):
    world.org("D1")
    result = runner.invoke(args=["muara", "export", "no_such_module", "--org", "D1"])
    assert result.exit_code != 0
    assert trail(app, "export") == []


# --- one transaction --------------------------------------------------------------------

def test_a_change_rolled_back_leaves_no_event(app, world):
    org_id = world.org("D1")
    with app.app_context():
        integration = Integration(organization_id=org_id, name="Gone", kind="external")
        db.session.add(integration)
        db.session.flush()
        assert db.session.execute(select(AuditEvent).where(
            AuditEvent.entity == "integration")).scalar() is not None
        db.session.rollback()
    assert trail(app, entity="integration") == []


def test_a_column_set_on_a_row_not_loaded_since_the_last_commit_keeps_its_before(app, world):
    org_id = world.org("D1")
    with app.app_context():
        org = db.session.get(Organization, org_id)
        db.session.commit()          # expires the row: its old name is no longer in memory
        org.name = "Renamed"
        db.session.commit()
    assert only(trail(app, "update", "organization"))["changes"] == \
        {"name": ["D1 name", "Renamed"]}


def test_only_the_declared_columns_of_a_rejection_are_followed(app, client, mixed):
    ids = rejection_ids(app, mixed.mixed)
    with app.app_context():
        row = db.session.get(ImportRejection, ids[0])
        row.message = "edited by hand"
        db.session.commit()
    assert trail(app, "update", "import_rejection") == []
