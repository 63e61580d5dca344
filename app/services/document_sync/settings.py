"""The sync settings of an integration (INT-2): when its pushed documents are applied."""
import datetime as dt

from app.errors import MuaraError
from app.extensions import db
from app.models import Integration
from app.models.integrations import SyncMode


def check_time(value: str | None, what: str) -> str | None:
    """"HH:MM" (24 hours) or None."""
    if value in (None, ""):
        return None
    value = value.strip()
    try:
        parsed = dt.datetime.strptime(value, "%H:%M")
    except ValueError:
        raise MuaraError(f"{what} must be a time of day as HH:MM (24 hours), "
                         f"got {value!r}") from None
    return parsed.strftime("%H:%M")


def check_settings(integration: Integration) -> None:
    """Validate the sync settings before they are written (form and CLI)."""
    integration.sync_time = check_time(integration.sync_time, "Sync time")
    integration.transfer_sync_time = check_time(integration.transfer_sync_time,
                                                "Transfer sync time")
    if integration.sync_mode == SyncMode.scheduled and not integration.sync_time:
        raise MuaraError("Sync on scheduled time needs the time of day (HH:MM).")
    if integration.transfer_sync_enabled and not integration.transfer_sync_time:
        raise MuaraError("Automatic transfer synchronization needs the time of day (HH:MM).")


def settings_of(integration: Integration) -> dict:
    return {"sync_mode": str(integration.sync_mode), "sync_time": integration.sync_time,
            "transfer_sync_enabled": integration.transfer_sync_enabled,
            "transfer_sync_time": integration.transfer_sync_time,
            "use_source_customer_id": integration.use_source_customer_id}


def update_settings(integration: Integration, mode: str | None = None,
                    sync_time: str | None = None, transfer_sync: bool | None = None,
                    transfer_time: str | None = None,
                    use_customer_id: bool | None = None) -> dict:
    """Change the settings given (None = unchanged), check them and commit; returns them."""
    if mode:
        integration.sync_mode = SyncMode(mode)
    if sync_time is not None:
        integration.sync_time = sync_time
    if transfer_sync is not None:
        integration.transfer_sync_enabled = transfer_sync
    if transfer_time is not None:
        integration.transfer_sync_time = transfer_time
    if use_customer_id is not None:
        integration.use_source_customer_id = use_customer_id
    try:
        check_settings(integration)
    except MuaraError:
        db.session.rollback()
        raise
    settings = settings_of(integration)
    db.session.commit()
    return settings
