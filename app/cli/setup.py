"""Setting a deployment up: the schema and roles, the demo data, the permission matrix."""
import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import command_errors


@click.command()
@with_appcontext
def init():
    """Create or upgrade the schema; sync roles and permissions."""
    from app.setup import init_database
    init_database()
    click.echo("database ready: schema upgraded, roles and permissions synced")


@click.command()
@click.option("--invoices", type=click.IntRange(min=1),
              help="Also write N open invoices of DEMO-DIST over 5,000 customers in one "
                   "statement (load tests, list benchmarks); on loaded demo data, adds them.")
@with_appcontext
@command_errors
def demo(invoices):
    """Demo data: DEMO-DIST, DEMO-PRIN, a connection, an integration, a user per role."""
    from app.demo import add_demo_invoices, demo_loaded, load_demo
    from app.services.transaction import in_transaction
    if not (invoices and demo_loaded()):
        for username, password, role in in_transaction(load_demo):
            click.echo(f"{role:18} {username:18} {password}")
    if invoices:
        total = add_demo_invoices(invoices)
        click.echo(f"DEMO-DIST has {total:,} open invoices")


@click.command()
@click.option("--out", default="docs/permissions.md", show_default=True)
@with_appcontext
def permissions(out):
    """Write the permission matrix (role x screen x action) generated from this app."""
    from app.security.matrix import render_markdown
    text = render_markdown(current_app.appbuilder)
    if out == "-":
        click.echo(text, nl=False)
    else:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"wrote {out}")


COMMANDS = [init, demo, permissions]
