"""The audit trail's screen (Admin only, read-only, filters), `muara audit` as JSON lines,
the retention purge and append-only (issue 18)."""
import datetime as dt
import json

import pytest
from sqlalchemy import func, insert, select

from app.errors import MuaraError
from app.extensions import db
from app.models.audit import AuditEvent
from app.models.tasks import utcnow
from app.security import roles
from app.security.audit import event
from app.services.consolidation import purge_job as purge
from tests.conftest import denied, login, row_ids

LIST = "/auditeventview/list/"


def add_events(app, *events):
    """Events as they would have been recorded at other times: (at, actor, action, org)."""
    with app.app_context():
        ids = []
        for at, actor, action, org in events:
            values = {**event(action, "organization", None, org, f"{action} by {actor}",
                              {"name": ["<b>old</b>", "new"]}), "at": at, "actor": actor}
            ids.append(db.session.execute(insert(AuditEvent).values(**values)).inserted_primary_key[0])
        db.session.commit()
        return ids


def count_events(app):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(AuditEvent)).scalar()


@pytest.fixture
def history(app, world):
    """Four events of two organizations on three days, and a user per role."""
    world.org("D1")
    world.org("D2")
    world.org("P1", kind="principal")
    for role in roles.ROLES:
        world.user(role.lower().replace(" ", "_"), role,
                   None if role == roles.ADMIN else ("P1" if role == roles.PRINCIPAL else "D1"))
    with app.app_context():  # the setup's own events are not what the filters are about
        db.session.execute(AuditEvent.__table__.delete())
        db.session.commit()
    return add_events(app,
                      (dt.datetime(2026, 1, 5, 9), "alice", "export", "D1"),
                      (dt.datetime(2026, 2, 5, 9), "bob", "update", "D2"),
                      (dt.datetime(2026, 3, 5, 9), "alice", "update", "D2"),
                      (dt.datetime(2026, 3, 6, 9), "cli:ops", "sync_all", "P1"))


# --- the screen -------------------------------------------------------------------------

def test_the_admin_sees_the_trail_with_its_changes(app, client, history):
    login(client, "admin")
    page = client.get(LIST).get_data(as_text=True)
    listed = row_ids(page, "auditeventview")
    assert set(history) < set(listed) and len(listed) == 5  # and the admin's own sign-in
    assert "admin signed in" in page
    assert page.index("sync_all by cli:ops") < page.index("export by alice"), "newest first"
    shown = client.get(f"/auditeventview/show/{history[0]}").get_data(as_text=True)
    # before -> after, escaped: a value is data, never markup
    assert "Name: &#34;&lt;b&gt;old&lt;/b&gt;&#34; \u2192 &#34;new&#34;" in shown
    assert "Audit Trail" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", [r for r in roles.ROLES if r != roles.ADMIN])
def test_every_other_role_is_refused_the_screen_and_its_menu(app, client, history, role):
    login(client, role.lower().replace(" ", "_"))
    assert denied(client.get(LIST))
    assert denied(client.get(f"/auditeventview/show/{history[0]}"))
    assert "Audit Trail" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ("_flt_3_actor=alice", [0, 2]),                                 # who
    ("_flt_3_action=update", [1, 2]),                               # what happened
    ("_flt_3_entity=organization&_flt_3_action=sync_all", [3]),     # to what
    ("_flt_3_organization=D2", [1, 2]),                             # which organization
    ("_flt_1_at=2026-02-01 00:00:00&_flt_2_at=2026-03-05 23:59:59", [1, 2]),  # when
])
def test_the_filters_narrow_the_trail(app, client, history, query, expected):
    login(client, "admin")
    page = client.get(f"{LIST}?{query}").get_data(as_text=True)
    assert row_ids(page, "auditeventview") == sorted(history[i] for i in expected)


def test_the_screen_offers_no_way_to_add_edit_or_delete(app, client, history):
    login(client, "admin")
    page = client.get(LIST).get_data(as_text=True)
    assert "/auditeventview/edit/" not in page and "/auditeventview/delete/" not in page
    assert "/auditeventview/add" not in page
    for response in (client.get("/auditeventview/add"),
                     client.post("/auditeventview/add", data={"actor": "forged", "action": "x"}),
                     client.get(f"/auditeventview/edit/{history[0]}"),
                     client.post(f"/auditeventview/edit/{history[0]}", data={"actor": "forged"}),
                     client.post(f"/auditeventview/delete/{history[0]}")):
        assert denied(response) or response.status_code == 404, response.status_code
    with app.app_context():
        actors = db.session.execute(
            select(AuditEvent.actor).order_by(AuditEvent.id)).scalars().all()
    assert actors[:4] == ["alice", "bob", "alice", "cli:ops"]


# --- append-only ------------------------------------------------------------------------

def test_the_app_cannot_change_or_delete_an_event(app, history):
    with app.app_context():
        row = db.session.get(AuditEvent, history[0])
        row.actor = "someone else"
        with pytest.raises(MuaraError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(MuaraError, match="append-only"):
            db.session.delete(db.session.get(AuditEvent, history[0]))
            db.session.flush()
        db.session.rollback()
        assert db.session.get(AuditEvent, history[0]).actor == "alice"
    assert count_events(app) == 4


def test_the_database_refuses_an_update_of_an_event(app, history):
    from sqlalchemy import update
    from sqlalchemy.exc import DatabaseError
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(update(AuditEvent).values(actor="forged"))
        db.session.rollback()
        assert db.session.get(AuditEvent, history[0]).actor == "alice"


# --- muara audit ------------------------------------------------------------------------

def audit_lines(runner, *args):
    result = runner.invoke(args=["muara", "audit", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_muara_audit_prints_json_lines_oldest_first(app, runner, history):
    lines = audit_lines(runner)
    assert [(e["at"], e["actor"], e["action"], e["organization"]) for e in lines] == [
        ("2026-01-05 09:00:00", "alice", "export", "D1"),
        ("2026-02-05 09:00:00", "bob", "update", "D2"),
        ("2026-03-05 09:00:00", "alice", "update", "D2"),
        ("2026-03-06 09:00:00", "cli:ops", "sync_all", "P1")]
    assert set(lines[0]) == {"at", "actor", "address", "action", "entity", "entity_id",
                             "organization", "summary", "changes"}
    assert lines[0]["changes"] == {"name": ["<b>old</b>", "new"]}


def test_muara_audit_since_and_org(app, runner, history):
    assert [e["actor"] for e in audit_lines(runner, "--since", "2026-03-01")] == \
        ["alice", "cli:ops"]
    assert [e["at"][:10] for e in audit_lines(runner, "--org", "D2")] == \
        ["2026-02-05", "2026-03-05"]
    assert [e["actor"] for e in audit_lines(runner, "--since", "2026-03-01", "--org", "D2")] \
        == ["alice"]


def test_muara_audit_refuses_an_unknown_organization_and_a_bad_date(app, runner, history):
    unknown = runner.invoke(args=["muara", "audit", "--org", "NOPE"])
    assert unknown.exit_code == 1 and "unknown organization: NOPE" in unknown.output
    bad = runner.invoke(args=["muara", "audit", "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since" in bad.output


# --- retention ----------------------------------------------------------------------------

def test_the_daily_purge_deletes_events_past_the_retention(app, world):
    world.org("D1")
    now = utcnow()
    kept_recent, _, _ = add_events(app, (now - dt.timedelta(days=10), "a", "export", "D1"),
                                   (now - dt.timedelta(days=366), "b", "export", "D1"),
                                   (now - dt.timedelta(days=400), "c", "export", "D1"))
    before = count_events(app)
    with app.app_context():
        assert app.config["AUDIT_RETENTION_DAYS"] == 365
        result = purge()
    assert result["audit_events_deleted"] == 2
    assert count_events(app) == before - 2
    with app.app_context():
        actors = set(db.session.execute(select(AuditEvent.actor)).scalars())
    assert "a" in actors and not {"b", "c"} & actors

    saved = app.config["AUDIT_RETENTION_DAYS"]
    app.config["AUDIT_RETENTION_DAYS"] = 5
    try:
        with app.app_context():
            assert purge()["audit_events_deleted"] >= 1
            assert db.session.get(AuditEvent, kept_recent) is None
    finally:
        app.config["AUDIT_RETENTION_DAYS"] = saved
