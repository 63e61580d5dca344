"""`muara audit [--since DATE] [--org ORG]`: the audit trail as JSON lines, oldest first."""
import json

import click
from flask.cli import with_appcontext

from app.cli.common import command_errors

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


@click.command("audit")
@click.option("--since", type=click.DateTime(formats=DATE_FORMATS),
              help="Only events at or after this date (UTC), e.g. 2026-12-01.")
@click.option("--org", "org_code", help="Only events of this organization (its code).")
@with_appcontext
@command_errors
def audit(since, org_code):
    """Print the audit trail, one JSON object a line."""
    from app.services.audit import events
    for values in events(since=since, org_code=org_code):
        click.echo(json.dumps(values, ensure_ascii=False))


COMMANDS = [audit]
