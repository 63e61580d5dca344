"""The directory: organizations, their default templates, locations, connections, users
and integrations."""
import click
from flask.cli import with_appcontext

from app.cli.common import command_errors
from app.services import directory
from app.services.transaction import in_transaction


@click.group()
def org():
    """Organizations."""


def _add_org_with_templates(code, name, kind, multi_location):
    """The organization and, for a distributor, every module's default template."""
    from app.services.templates import add_default_templates
    created = directory.add_org(code, name, kind, multi_location)
    templates = add_default_templates(created) if created.kind == "distributor" else None
    return created, templates


@org.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["distributor", "principal"]))
@click.option("--multi-location", is_flag=True)
@with_appcontext
@command_errors
def org_add(code, name, kind, multi_location):
    created, templates = in_transaction(_add_org_with_templates, code, name, kind,
                                        multi_location)
    # stdout is SPEC section 8's line, which scripts read; the templates go on stderr.
    click.echo(f"organization {created.code} added ({created.kind})")
    if templates is not None:
        click.echo(f"{len(templates)} default mapper templates added", err=True)


@click.group()
def template():
    """Mapper templates."""


@template.command("defaults")
@click.argument("org_code")
@with_appcontext
@command_errors
def template_defaults(org_code):
    """Add the default template of every module the distributor has none for (TPL-3)."""
    from app.services.templates import add_default_templates
    created = in_transaction(add_default_templates, directory.get_org(org_code))
    for made in created:
        click.echo(f"added {made.name}")
    if not created:
        click.echo(f"nothing to add: {org_code} has a template for every module")


@click.group()
def location():
    """Locations of an organization."""


@location.command("add")
@click.argument("org_code", metavar="ORG")
@click.argument("code")
@click.option("--name", required=True)
@with_appcontext
@command_errors
def location_add(org_code, code, name):
    created = in_transaction(directory.add_location, org_code, code, name)
    click.echo(f"location {created.code} added to {org_code}")


@click.command()
@click.argument("distributor")
@click.argument("principal")
@click.option("--inactive", is_flag=True, help="Create or set the connection inactive.")
@with_appcontext
@command_errors
def connect(distributor, principal, inactive):
    """Connect DISTRIBUTOR to PRINCIPAL (or change the connection's state)."""
    connection = in_transaction(directory.connect, distributor, principal, active=not inactive)
    click.echo(f"connection {connection!r}")


@click.group()
def user():
    """Users."""


@user.command("add")
@click.argument("username")
@click.option("--org", "org_code", help="Organization code (Admin users may have none).")
@click.option("--role", required=True)
@click.option("--email", required=True)
@click.option("--password", required=True)
@with_appcontext
@command_errors
def user_add(username, org_code, role, email, password):
    in_transaction(directory.add_user, username, org_code, role, email, password)
    click.echo(f"user {username} added as {role}" + (f" of {org_code}" if org_code else ""))


@click.group()
def integration():
    """Integrations."""


@integration.command("add")
@click.argument("org_code", metavar="ORG")
@click.argument("name")
@click.option("--kind", required=True,
              type=click.Choice(["external", "dms", "sap", "accurate", "pos"]))
@click.option("--inactive", is_flag=True)
@with_appcontext
@command_errors
def integration_add(org_code, name, kind, inactive):
    created = in_transaction(directory.add_integration, org_code, name, kind,
                             active=not inactive)
    click.echo(f"integration {created.name} ({created.kind}) added to {org_code}")


COMMANDS = [org, template, location, connect, user, integration]
