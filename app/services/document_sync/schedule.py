"""The document-sync schedule (INT-2 "scheduled time", transfer sync time): queue an apply
pass for each integration whose time of day has come. The re-queue pass calls it."""
import datetime as dt

from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import Integration
from app.models.integrations import SyncMode
from app.services.document_sync.intake import request_apply
from app.services.localtime import local_now


def due_sync_integrations(now: dt.datetime) -> list[tuple[int, str, str]]:
    """[(integration id, group, ran-on column)] whose scheduled time has come today and
    that have not run today. `now` is UTC (naive); the settings' times of day and "today"
    are the organizations' local time (MUARA_TIME_ZONE)."""
    local = local_now(now)
    today, clock = local.date(), local.strftime("%H:%M")
    due = []
    rows = db.session.execute(select(Integration).where(
        Integration.active.is_(True),
        or_(Integration.sync_mode == SyncMode.scheduled,
            Integration.transfer_sync_enabled.is_(True)))).scalars()
    for integration in rows:
        if (integration.sync_mode == SyncMode.scheduled and integration.sync_time
                and integration.sync_time <= clock and integration.sync_ran_on != today):
            due.append((integration.id, "sales", "sync_ran_on"))
        if (integration.transfer_sync_enabled and integration.transfer_sync_time
                and integration.transfer_sync_time <= clock
                and integration.transfer_sync_ran_on != today):
            due.append((integration.id, "transfers", "transfer_sync_ran_on"))
    return due


def run_due_syncs(now: dt.datetime) -> list[tuple[int, str]]:
    """The scheduling entry point (one plain function for a scheduler to call): queue an
    apply pass for each schedule whose time has come. Each schedule is claimed by a
    compare-and-set on its ran-on day, so many processes calling this queue it once."""
    queued = []
    today = local_now(now).date()
    for integration_id, group, column in due_sync_integrations(now):
        ran_on = getattr(Integration, column)
        won = db.session.execute(
            update(Integration).where(Integration.id == integration_id,
                                      or_(ran_on.is_(None), ran_on != today))
            .values({column: today})).rowcount
        db.session.commit()
        if won:
            trigger = "scheduled" if group == "sales" else "transfer_schedule"
            request_apply(integration_id, [group], trigger)
            queued.append((integration_id, group))
    return queued
