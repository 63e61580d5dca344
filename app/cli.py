"""`flask --app run muara ...`: the operators' and scripts' command line (SPEC section 8).

Every command exits non-zero with a one-line message on stderr when it cannot do what
was asked.
"""
import functools
import json
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from app.errors import MuaraError
from app.extensions import db
from app.services import directory


def command_errors(fn):
    """Turn domain errors into click's one-line error and exit code 1, rolling back."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except MuaraError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    return wrapper


@click.group()
def muara():
    """Muara: the data-import portal."""


@muara.command()
@with_appcontext
def init():
    """Create or upgrade the schema; sync roles and permissions."""
    from app.setup import init_database
    init_database()
    click.echo("database ready: schema upgraded, roles and permissions synced")


@muara.command()
@with_appcontext
@command_errors
def demo():
    """Demo data: DEMO-DIST, DEMO-PRIN, a connection, an integration, a user per role."""
    from app.demo import load_demo
    for username, password, role in load_demo():
        click.echo(f"{role:16} {username:18} {password}")


@muara.group()
def org():
    """Organizations."""


@org.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["distributor", "principal"]))
@click.option("--multi-location", is_flag=True)
@with_appcontext
@command_errors
def org_add(code, name, kind, multi_location):
    created = directory.add_org(code, name, kind, multi_location)
    click.echo(f"organization {created.code} added ({created.kind})")


@muara.group()
def location():
    """Locations of an organization."""


@location.command("add")
@click.argument("org_code", metavar="ORG")
@click.argument("code")
@click.option("--name", required=True)
@with_appcontext
@command_errors
def location_add(org_code, code, name):
    created = directory.add_location(org_code, code, name)
    click.echo(f"location {created.code} added to {org_code}")


@muara.command()
@click.argument("distributor")
@click.argument("principal")
@click.option("--inactive", is_flag=True, help="Create or set the connection inactive.")
@with_appcontext
@command_errors
def connect(distributor, principal, inactive):
    """Connect DISTRIBUTOR to PRINCIPAL (or change the connection's state)."""
    connection = directory.connect(distributor, principal, active=not inactive)
    click.echo(f"connection {connection!r}")


@muara.group()
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
    directory.add_user(username, org_code, role, email, password)
    click.echo(f"user {username} added as {role}" + (f" of {org_code}" if org_code else ""))


@muara.group()
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
    created = directory.add_integration(org_code, name, kind, active=not inactive)
    click.echo(f"integration {created.name} ({created.kind}) added to {org_code}")


@muara.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for scripts).")
@with_appcontext
def worker(burst):
    """An RQ worker with the app context (run one per core, on any number of machines)."""
    from app.queue import queue, start_requeue_thread
    task_queue = queue()
    if task_queue.embedded:
        raise click.ClickException("REDIS_URL is not set: the embedded worker runs inside "
                                   "`python run.py`; set REDIS_URL to run separate workers")
    app = current_app._get_current_object()
    task_queue.requeue_lost()
    if not burst:
        start_requeue_thread(app)
    task_queue.worker(app).work(burst=burst, logging_level="INFO")


@muara.command("queue-check")
@click.option("--timeout", default=30, show_default=True, help="Seconds to wait.")
@with_appcontext
def queue_check(timeout):
    """Send a job through the queue and wait for a worker to run it."""
    from app.models.tasks import BackgroundTask, TaskStatus
    from app.queue import queue
    task_id = queue().submit("app.jobs.diagnostics.echo", "ping").id
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        task = db.session.get(BackgroundTask, task_id)
        if task.status in (TaskStatus.done, TaskStatus.failed):
            click.echo(json.dumps({"task": task.id, "status": str(task.status),
                                   "result": json.loads(task.result or "null")}))
            if task.status == TaskStatus.failed:
                raise click.ClickException(f"the job failed: {task.error}")
            return
        time.sleep(0.2)
    raise click.ClickException(f"no worker ran task {task_id} within {timeout}s: is a "
                               "worker running (`flask --app run muara worker`)?")


@muara.command()
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
