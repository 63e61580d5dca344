"""API keys of integrations (SPEC section 9)."""
import json

import click
from flask.cli import with_appcontext

from app.cli.common import command_errors, integration_command, integration_of
from app.services.apikeys import create_key, key_entries, revoke_key
from app.services.transaction import in_transaction


@click.group()
def apikey():
    """API keys of integrations (SPEC section 9)."""


@apikey.command("create")
@integration_command
def apikey_create(integration_name, org_code):
    """Make a key for INTEGRATION; it is printed once and stored hashed."""
    row, key = in_transaction(create_key, integration_of(org_code, integration_name))
    click.echo(key)
    click.echo(f"API key #{row.id} for {integration_name} of {org_code}: shown once, keep it "
               "now", err=True)


@apikey.command("revoke")
@click.argument("key_id", type=int, metavar="KEY_ID")
@with_appcontext
@command_errors
def apikey_revoke(key_id):
    """Revoke the API key KEY_ID (its number, as `apikey list` shows)."""
    in_transaction(revoke_key, key_id)
    click.echo(f"API key #{key_id} revoked")


@apikey.command("list")
@integration_command
def apikey_list(integration_name, org_code):
    """The keys of INTEGRATION (number, first characters, created, state) as JSON."""
    click.echo(json.dumps(key_entries(integration_of(org_code, integration_name))))


COMMANDS = [apikey]
