"""Sync settings change behaviour (INT-2, seed 001), oldest first with refresh (SYN-3),
the schedule, and the sync command line (SPEC section 8)."""
import datetime as dt
import json

from sqlalchemy import select

from app.extensions import db
from app.models import Integration, Product, StockTransfer
from app.models.integrations import SyncMode
from app.services import document_sync
from app.services.document_sync.schedule import due_sync_integrations
from tests.factories import drain
from tests.sync_helpers import auth, make_pos, push, records, sale, transfer_in, transfer_out


def settings(app, integration_id, **values):
    with app.app_context():
        row = db.session.get(Integration, integration_id)
        for name, value in values.items():
            setattr(row, name, value)
        document_sync.check_settings(row)
        db.session.commit()


def wib(*local):
    """A local time in Jakarta (the default MUARA_TIME_ZONE, UTC+7) as the naive UTC the
    scheduler is given."""
    return dt.datetime(*local) - dt.timedelta(hours=7)


def status(app, integration_id, kind, reference):
    return records(app, integration_id)[(kind, reference)][0]


def test_shift_closing_mode_waits_for_the_shift_to_close(app, client):
    integration_id, key = make_pos(app, sync_mode=SyncMode.shift_closing)
    push(client, key, sale("S-1"), sale("S-2"))
    drain(app)
    assert status(app, integration_id, "sales_transaction", "S-1") == "pending"
    response = client.post("/api/v1/integration/shift-closed", headers=auth(key))
    assert response.status_code == 202
    assert response.get_json() == {"applies": True, "pending": 2}
    drain(app)
    assert status(app, integration_id, "sales_transaction", "S-1") == "success"
    assert status(app, integration_id, "sales_transaction", "S-2") == "success"


def test_shift_closed_in_real_time_mode_starts_nothing(app, client):
    _, key = make_pos(app)
    body = client.post("/api/v1/integration/shift-closed", headers=auth(key)).get_json()
    assert body["applies"] is False and "realtime" in body["message"]


def test_scheduled_mode_applies_at_its_time_once_a_day(app, client):
    integration_id, key = make_pos(app, sync_mode=SyncMode.scheduled, sync_time="18:30")
    push(client, key, sale("S-1"))
    drain(app)
    assert status(app, integration_id, "sales_transaction", "S-1") == "pending"
    with app.app_context():
        before = wib(2026, 1, 5, 18, 29)
        assert due_sync_integrations(before) == []
        assert document_sync.run_due_syncs(before) == []
        at = wib(2026, 1, 5, 18, 30)
        assert document_sync.run_due_syncs(at) == [(integration_id, "sales")]
        assert document_sync.run_due_syncs(at + dt.timedelta(minutes=5)) == [], "ran twice a day"
    drain(app)
    assert status(app, integration_id, "sales_transaction", "S-1") == "success"
    push(client, key, sale("S-2"))
    with app.app_context():
        assert document_sync.run_due_syncs(wib(2026, 1, 6, 18, 31)) == [
            (integration_id, "sales")]
    drain(app)
    assert status(app, integration_id, "sales_transaction", "S-2") == "success"


def test_the_scheduled_time_and_its_day_are_local_time(app, client):
    """06:00 in Jakarta is 23:00 UTC of the day before: it runs then, once that local day."""
    integration_id, _ = make_pos(app, sync_mode=SyncMode.scheduled, sync_time="06:00")
    with app.app_context():
        assert document_sync.run_due_syncs(dt.datetime(2026, 1, 5, 22, 59)) == []
        assert document_sync.run_due_syncs(dt.datetime(2026, 1, 5, 23, 0)) == [
            (integration_id, "sales")]
        # 01:00 UTC on the 6th is still the 6th in Jakarta: not again.
        assert document_sync.run_due_syncs(dt.datetime(2026, 1, 6, 1, 0)) == []
        assert db.session.get(Integration, integration_id).sync_ran_on == dt.date(2026, 1, 6)


def test_transfers_wait_for_the_transfer_sync_time_when_enabled(app, client):
    integration_id, key = make_pos(app, transfer_sync_enabled=True, transfer_sync_time="23:00")
    push(client, key, transfer_out("T-1"), sale("S-1"))
    drain(app)
    assert status(app, integration_id, "sales_transaction", "S-1") == "success"
    assert status(app, integration_id, "transfer_out", "T-1") == "pending"
    with app.app_context():
        assert document_sync.run_due_syncs(wib(2026, 1, 5, 22, 59)) == []
        assert document_sync.run_due_syncs(wib(2026, 1, 5, 23, 0)) == [
            (integration_id, "transfers")]
    drain(app)
    assert status(app, integration_id, "transfer_out", "T-1") == "success"


def test_transfers_sync_only_by_hand_when_disabled(app, client, runner):
    integration_id, key = make_pos(app, transfer_sync_enabled=False)
    push(client, key, transfer_out("T-1"), {"kind": "stock_opname", "reference": "O-1",
                                             "date": "2026-01-05", "location": "JKT",
                                             "lines": [{"product": "P001", "quantity": "7"}]})
    drain(app)
    with app.app_context():
        assert document_sync.run_due_syncs(wib(2026, 1, 5, 23, 59)) == []
    assert status(app, integration_id, "transfer_out", "T-1") == "pending"
    assert status(app, integration_id, "stock_opname", "O-1") == "pending"
    result = runner.invoke(args=["muara", "sync-now", "Files", "--org", "D1", "--transfers"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["succeeded"] == 2
    assert status(app, integration_id, "stock_opname", "O-1") == "success"


def test_settings_are_checked(app):
    integration_id, _ = make_pos(app)
    import pytest

    from app.errors import MuaraError
    for values in ({"sync_mode": SyncMode.scheduled, "sync_time": None},
                   {"sync_time": "25:00"}, {"transfer_sync_enabled": True},
                   {"transfer_sync_time": "7pm"}):
        with pytest.raises(MuaraError):
            settings(app, integration_id, **values)
    settings(app, integration_id, sync_mode=SyncMode.scheduled, sync_time="7:05")
    with app.app_context():
        assert db.session.get(Integration, integration_id).sync_time == "07:05"


def test_oldest_first_a_transfer_in_waits_for_its_transfer_out(app, client, runner):
    """Seed 001's example: the transfer out has not synced, so the transfer in fails with
    that reason; once the out is fixed and refreshed, the in succeeds on refresh."""
    integration_id, key = make_pos(app)
    # Pushed newest first: applying goes by document date all the same.
    push(client, key, transfer_in("IN-1", "OUT-1", date="2026-01-05T12:00:00"),
          transfer_out("OUT-1", date="2026-01-05T09:00:00", product="NEW"))
    result = runner.invoke(args=["muara", "sync-now", "Files", "--org", "D1"])
    assert result.exit_code == 0, result.output
    now = records(app, integration_id)
    assert now[("transfer_out", "OUT-1")][0] == "failed"
    assert "unknown product NEW" in now[("transfer_out", "OUT-1")][1]
    assert now[("transfer_in", "IN-1")][0] == "failed"
    assert "transfer out OUT-1 has not been synchronized" in now[("transfer_in", "IN-1")][1]

    listed = json.loads(runner.invoke(args=["muara", "sync-status", "Files", "--org", "D1"]).output)
    assert [r["reference"] for r in listed] == ["OUT-1", "IN-1"], "not in document order"
    assert {r["status"] for r in listed} == {"Failed"}
    in_id = next(r["id"] for r in listed if r["reference"] == "IN-1")
    out_id = next(r["id"] for r in listed if r["reference"] == "OUT-1")

    # Refreshing the later one first fails again, for the same reason.
    runner.invoke(args=["muara", "sync-refresh", "Files", "--org", "D1", "--record", str(in_id)])
    assert records(app, integration_id)[("transfer_in", "IN-1")][:1] == ("failed",)
    assert records(app, integration_id)[("transfer_in", "IN-1")][2] == 2

    with app.app_context():  # the fix: the product exists now
        org_id = db.session.get(Integration, integration_id).organization_id
        db.session.add(Product(organization_id=org_id, code="NEW", name="New", unit="pcs"))
        db.session.commit()
    result = runner.invoke(args=["muara", "sync-refresh", "Files", "--org", "D1",
                                 "--record", str(out_id)])
    assert result.exit_code == 0 and json.loads(result.output)["succeeded"] == 1
    assert status(app, integration_id, "transfer_in", "IN-1") == "failed"
    result = runner.invoke(args=["muara", "sync-refresh", "Files", "--org", "D1"])
    assert json.loads(result.output)["succeeded"] == 1
    assert status(app, integration_id, "transfer_in", "IN-1") == "success"
    with app.app_context():
        assert db.session.execute(select(StockTransfer.direction)
                                  .order_by(StockTransfer.id)).scalars().all() == ["out", "in"]


def test_refresh_all_applies_failed_records_in_document_order(app, client, runner):
    integration_id, key = make_pos(app)
    push(client, key, transfer_out("OUT-1", product="NEW"), transfer_in("IN-1", "OUT-1"))
    runner.invoke(args=["muara", "sync-now", "Files", "--org", "D1"])
    with app.app_context():
        org_id = db.session.get(Integration, integration_id).organization_id
        db.session.add(Product(organization_id=org_id, code="NEW", name="New", unit="pcs"))
        db.session.commit()
    result = runner.invoke(args=["muara", "sync-refresh", "Files", "--org", "D1"])
    assert json.loads(result.output)["succeeded"] == 2 and json.loads(result.output)["failed"] == 0


def test_sync_command_errors(app, runner):
    make_pos(app)
    for args, message in ((["sync-status", "Nope", "--org", "D1"], "unknown integration"),
                          (["sync-status", "Files", "--org", "ZZ"], "unknown organization"),
                          (["sync-refresh", "Files", "--org", "D1", "--record", "999"],
                           "no sync record #999"),
                          (["sync-settings", "Files", "--org", "D1", "--mode", "scheduled"],
                           "needs the time")):
        result = runner.invoke(args=["muara", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_sync_settings_command(app, runner):
    make_pos(app)
    result = runner.invoke(args=["muara", "sync-settings", "Files", "--org", "D1", "--mode",
                                 "scheduled", "--time", "08:00", "--transfer-sync",
                                 "--transfer-time", "21:00", "--use-customer-id"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "sync_mode": "scheduled", "sync_time": "08:00", "transfer_sync_enabled": True,
        "transfer_sync_time": "21:00", "use_source_customer_id": True}


def test_refresh_of_a_service_integration_points_to_its_sync(app, runner, world):
    """Records pulled from an OAuth service are retried by pulling again, never by the
    push appliers (whose payloads have another shape)."""
    from app.models import SyncRecord
    from app.models.sync import SyncStatus
    from app.services import directory
    world.org("D9")
    with app.app_context():
        integration = directory.add_integration("D9", "Accurate", "accurate")
        db.session.flush()
        db.session.add(SyncRecord(organization_id=integration.organization_id,
                                  integration_id=integration.id, kind="customer",
                                  reference="77", document_date=dt.datetime(2026, 1, 1),
                                  status=SyncStatus.failed, reason="Name is required.",
                                  attempts=1, payload=json.dumps({"id": 77})))
        db.session.commit()
    result = runner.invoke(args=["muara", "sync-refresh", "Accurate", "--org", "D9"])
    assert result.exit_code != 0
    assert "Sync Master Data or Sync Transaction" in result.output
    with app.app_context():
        row = db.session.execute(select(SyncRecord)).scalar_one()
        assert (row.status, row.attempts, row.reason) == (SyncStatus.failed, 1,
                                                          "Name is required.")


def test_the_migration_moves_stored_utc_times_to_local_time():
    """Times stored in UTC before issue 17.7 keep firing at the same moment."""
    import importlib.util
    from pathlib import Path
    path = (Path(__file__).parents[1] / "migrations" / "versions"
            / "ce8394071772_sync_times_in_local_time.py")
    spec = importlib.util.spec_from_file_location("sync_times_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration._offset() == dt.timedelta(hours=7)
    assert migration._shift("18:30", dt.timedelta(hours=7)) == "01:30"
    assert migration._shift("01:30", -dt.timedelta(hours=7)) == "18:30"
    assert migration._shift(None, dt.timedelta(hours=7)) is None
