"""Document sync of an integration (INT-2, SYN-2, SYN-3): its settings, its records, the
retry of failed ones and applying the waiting ones by hand. The command names keep the
word "sync" of SPEC section 8."""
import json

import click

from app.cli.common import integration_command, integration_of


@click.command("sync-status")
@integration_command
def sync_status(integration_name, org_code):
    """The sync records of INTEGRATION, oldest first, as a JSON list."""
    from app.services import document_sync
    click.echo(json.dumps(document_sync.sync_status(integration_of(org_code, integration_name))))


@click.command("sync-refresh")
@integration_command
@click.option("--record", "record_id", type=int, help="Retry this failed record only.")
def sync_refresh(integration_name, org_code, record_id):
    """Retry the failed sync records of INTEGRATION (oldest first), or one of them."""
    from app.services import document_sync
    result = document_sync.refresh(integration_of(org_code, integration_name), record_id)
    click.echo(json.dumps(result))


@click.command("sync-now")
@integration_command
@click.option("--transfers", is_flag=True, help="Only transfers and stock opnames.")
def sync_now(integration_name, org_code, transfers):
    """Apply the waiting records of INTEGRATION now (transfers need this when their
    automatic synchronization is off)."""
    from app.services import document_sync
    click.echo(json.dumps(document_sync.sync_now(integration_of(org_code, integration_name),
                                                 transfers)))


@click.command("sync-settings")
@integration_command
@click.option("--mode", type=click.Choice(["realtime", "shift_closing", "scheduled"]))
@click.option("--time", "sync_time", help="HH:MM (UTC) of the scheduled sync.")
@click.option("--transfer-sync/--no-transfer-sync", default=None,
              help="Automatic transfer synchronization.")
@click.option("--transfer-time", help="HH:MM (UTC) of the transfer sync.")
@click.option("--use-customer-id/--no-use-customer-id", default=None,
              help="Use the source's customer id as the customer code.")
def sync_settings(integration_name, org_code, mode, sync_time, transfer_sync, transfer_time,
                  use_customer_id):
    """Show or change the sync settings of INTEGRATION (INT-2); prints them as JSON."""
    from app.services import document_sync
    click.echo(json.dumps(document_sync.update_settings(
        integration_of(org_code, integration_name), mode=mode, sync_time=sync_time,
        transfer_sync=transfer_sync, transfer_time=transfer_time,
        use_customer_id=use_customer_id)))


COMMANDS = [sync_status, sync_refresh, sync_now, sync_settings]
