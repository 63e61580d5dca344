"""The organizations' local time (MUARA_TIME_ZONE): the database keeps naive UTC, people
read and enter local times. One place converts, for the screens and the schedules."""
import datetime as dt
import zoneinfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Jakarta"


def zone() -> zoneinfo.ZoneInfo:
    name = current_app.config.get("TIME_ZONE") if has_app_context() else None
    return zoneinfo.ZoneInfo(name or DEFAULT_ZONE)


def to_local(value: dt.datetime) -> dt.datetime:
    """A naive UTC timestamp (as stored) as an aware local one."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(zone())


def local_now(utc_now: dt.datetime | None = None) -> dt.datetime:
    """The local wall clock now (or at `utc_now`, naive UTC), naive."""
    utc_now = utc_now or dt.datetime.now(dt.timezone.utc)
    return to_local(utc_now).replace(tzinfo=None)


def zone_name(at: dt.datetime | None = None) -> str:
    """The zone as people name it: its abbreviation (WIB) where it has one, else the
    offset (+07)."""
    return to_local(at or dt.datetime.now(dt.timezone.utc)).strftime("%Z")
