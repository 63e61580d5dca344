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
    from app.services.templates import add_default_templates
    created = directory.add_org(code, name, kind, multi_location)
    # stdout is SPEC section 8's line, which scripts read; the templates go on stderr.
    click.echo(f"organization {created.code} added ({created.kind})")
    if created.kind == "distributor":
        templates = add_default_templates(created)
        click.echo(f"{len(templates)} default mapper templates added", err=True)


@muara.group()
def template():
    """Mapper templates."""


@template.command("defaults")
@click.argument("org_code")
@with_appcontext
@command_errors
def template_defaults(org_code):
    """Add the default template of every module the distributor has none for (TPL-3)."""
    from app.services.templates import add_default_templates
    created = add_default_templates(directory.get_org(org_code))
    for made in created:
        click.echo(f"added {made.name}")
    if not created:
        click.echo(f"nothing to add: {org_code} has a template for every module")


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


@muara.command()
@click.option("--interval", type=click.IntRange(min=1),
              help="Fire every N seconds instead of at the daily times (to try it out).")
@with_appcontext
def scheduler(interval):
    """RQ's cron scheduler: the daily consolidation and the retention purge (needs
    REDIS_URL; run one for the deployment, next to the workers)."""
    from app.queue import queue
    from app.scheduling import build_scheduler, schedule
    if queue().embedded:
        raise click.ClickException("REDIS_URL is not set: the embedded scheduler runs inside "
                                   "`python run.py`; set REDIS_URL to run it on its own")
    app = current_app._get_current_object()
    for name, function, at in schedule(app.config):
        when = f"every {interval or app.config['SCHEDULE_INTERVAL']} s" \
            if interval or app.config["SCHEDULE_INTERVAL"] else f"daily at {at}"
        click.echo(f"{name}: {function} {when}")
    build_scheduler(app, interval).start()


@muara.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--module", "module_name", required=True)
@click.option("--org", "org_code", required=True)
@click.option("--principal", help="Who can view the file (a connected principal's code).")
@click.option("--integration", "integration_name", help="The External integration it came from.")
@click.option("--template", "template_name", help="The mapper template's name.")
@click.option("--force", is_flag=True, help="Import even if the same file was imported before.")
@click.option("--wait", is_flag=True, help="Wait for the job and print its JSON summary.")
@with_appcontext
def import_file(path, module_name, org_code, principal, integration_name, template_name,
                force, wait):
    """Import the file at PATH into MODULE for ORG (SPEC section 8)."""
    import os

    from app.services.imports import create_import
    try:
        org_row = directory.get_org(org_code)
        with open(path, "rb") as handle:  # streamed: refused for size before it is read
            imp = create_import(org_row, module_name, os.path.basename(path), handle,
                                principal_code=principal, integration_name=integration_name,
                                template_name=template_name, force=force, source="cli")
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
    except MuaraError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    if not wait:
        click.echo(json.dumps({"import_id": imp.id, "status": str(imp.status)}))
        return
    result = wait_for_import(imp.id)
    click.echo(json.dumps(result, ensure_ascii=False))
    if result["status"] == "failed":
        raise SystemExit(1)


def _run_embedded_queue():
    """Without Redis nobody else works the queue: run it here until it is empty."""
    from app.queue import queue
    task_queue = queue()
    if task_queue.embedded:
        task_queue.worker(current_app._get_current_object()).work(burst=True,
                                                                  logging_level="WARNING")


def wait_for_import(import_id, timeout=None):
    """Run the queue here when it is embedded, else wait for the workers."""
    from app.models import ImportFile
    from app.services.imports import summary
    _run_embedded_queue()
    deadline = time.monotonic() + (timeout or 24 * 3600)
    while True:
        db.session.expire_all()
        imp = db.session.get(ImportFile, import_id)
        if imp.job_finished or time.monotonic() > deadline:
            return summary(imp)
        time.sleep(0.2)


@muara.command("sync-all")
@click.argument("principal_code", metavar="PRINCIPAL")
@click.option("--wait", is_flag=True, help="Wait and print the counts as JSON.")
@with_appcontext
def sync_all(principal_code, wait):
    """Consolidate every waiting file shared with PRINCIPAL (its "Sync All")."""
    from app.services.consolidation import principal_by_code, request_sync_all
    try:
        task = request_sync_all(principal_by_code(principal_code))
    except MuaraError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    if not wait:
        click.echo(json.dumps({"task_id": task.id, "status": "queued"}))
        return
    click.echo(json.dumps(wait_for_task(task.id)))


def wait_for_task(task_id, timeout=None):
    """A task's result: run the queue here when it is embedded, else wait for a worker."""
    from app.models.tasks import BackgroundTask, TaskStatus
    _run_embedded_queue()
    deadline = time.monotonic() + (timeout or 24 * 3600)
    while True:
        db.session.expire_all()
        task = db.session.get(BackgroundTask, task_id)
        if task.status == TaskStatus.done:
            return json.loads(task.result)
        if task.status == TaskStatus.failed:
            raise click.ClickException(f"task {task_id} failed: "
                                       f"{(task.error or '').splitlines()[0]}")
        if time.monotonic() > deadline:
            raise click.ClickException(f"task {task_id} did not finish in time")
        time.sleep(0.2)


@muara.command()
@click.option("--days", type=click.IntRange(min=0),
              help="Retention in days (default: MUARA_RETENTION_DAYS).")
@with_appcontext
def purge(days):
    """Delete files older than the retention period with their bytes and staged rows;
    consolidated records stay."""
    from app.services.consolidation import purge_old_files
    click.echo(json.dumps(purge_old_files(days=days)))


@muara.command("export")
@click.argument("module_name", metavar="MODULE")
@click.option("--org", "org_code", required=True)
@click.option("--viewer", help="Show what this user may see (default: everything).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xml"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@with_appcontext
@command_errors
def export(module_name, org_code, viewer, fmt, out):
    """Records of ORG, scoped as the screens scope them for --viewer."""
    from app.security.tenancy import Viewer
    from app.services.exports import export_text
    org_row = directory.get_org(org_code)
    if viewer:
        user_row = current_app.appbuilder.sm.find_user(username=viewer)
        if user_row is None:
            raise MuaraError(f"unknown user: {viewer}")
        who = Viewer.for_user(user_row)
    else:
        from app.security.roles import ADMIN
        who = Viewer(None, [ADMIN], None)
    text = export_text(module_name, org_row, who, fmt)
    if out:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


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


def _integration(org_code, name):
    from app.services.apikeys import get_integration
    return get_integration(directory.get_org(org_code), name)


@muara.group()
def apikey():
    """API keys of integrations (SPEC section 9)."""


@apikey.command("create")
@click.argument("integration_name", metavar="INTEGRATION")
@click.option("--org", "org_code", required=True)
@with_appcontext
@command_errors
def apikey_create(integration_name, org_code):
    """Make a key for INTEGRATION; it is printed once and stored hashed."""
    from app.services.apikeys import create_key
    row, key = create_key(_integration(org_code, integration_name))
    db.session.commit()
    click.echo(key)
    click.echo(f"API key #{row.id} for {integration_name} of {org_code}: shown once, keep it "
               "now", err=True)


@apikey.command("revoke")
@click.argument("key_id", type=int, metavar="KEY_ID")
@with_appcontext
@command_errors
def apikey_revoke(key_id):
    """Revoke the API key KEY_ID (its number, as `apikey list` shows)."""
    from app.services.apikeys import revoke_key
    revoke_key(key_id)
    click.echo(f"API key #{key_id} revoked")


@apikey.command("list")
@click.argument("integration_name", metavar="INTEGRATION")
@click.option("--org", "org_code", required=True)
@with_appcontext
@command_errors
def apikey_list(integration_name, org_code):
    """The keys of INTEGRATION (number, first characters, created, state) as JSON."""
    from sqlalchemy import select

    from app.models import IntegrationKey
    integration_row = _integration(org_code, integration_name)
    keys = db.session.execute(select(IntegrationKey).where(
        IntegrationKey.integration_id == integration_row.id).order_by(IntegrationKey.id)).scalars()
    click.echo(json.dumps([{"id": k.id, "prefix": k.prefix, "created_at": k.created_at.isoformat(),
                            "state": k.state()} for k in keys]))


@muara.command("sync-status")
@click.argument("integration_name", metavar="INTEGRATION")
@click.option("--org", "org_code", required=True)
@with_appcontext
@command_errors
def sync_status(integration_name, org_code):
    """The sync records of INTEGRATION, oldest first, as a JSON list."""
    from app.services.sync import sync_status as records
    click.echo(json.dumps(records(_integration(org_code, integration_name))))


@muara.command("sync-refresh")
@click.argument("integration_name", metavar="INTEGRATION")
@click.option("--org", "org_code", required=True)
@click.option("--record", "record_id", type=int, help="Retry this failed record only.")
@with_appcontext
@command_errors
def sync_refresh(integration_name, org_code, record_id):
    """Retry the failed sync records of INTEGRATION (oldest first), or one of them."""
    from app.services.sync import refresh
    result = refresh(_integration(org_code, integration_name), record_id)
    click.echo(json.dumps(result))


@muara.command("sync-now")
@click.argument("integration_name", metavar="INTEGRATION")
@click.option("--org", "org_code", required=True)
@click.option("--transfers", is_flag=True, help="Only transfers and stock opnames.")
@with_appcontext
@command_errors
def sync_now(integration_name, org_code, transfers):
    """Apply the waiting records of INTEGRATION now (transfers need this when their
    automatic synchronization is off)."""
    from app.services.sync import sync_now as apply_now
    click.echo(json.dumps(apply_now(_integration(org_code, integration_name), transfers)))


@muara.command("sync-settings")
@click.argument("integration_name", metavar="INTEGRATION")
@click.option("--org", "org_code", required=True)
@click.option("--mode", type=click.Choice(["realtime", "shift_closing", "scheduled"]))
@click.option("--time", "sync_time", help="HH:MM (UTC) of the scheduled sync.")
@click.option("--transfer-sync/--no-transfer-sync", default=None,
              help="Automatic transfer synchronization.")
@click.option("--transfer-time", help="HH:MM (UTC) of the transfer sync.")
@click.option("--use-customer-id/--no-use-customer-id", default=None,
              help="Use the source's customer id as the customer code.")
@with_appcontext
@command_errors
def sync_settings(integration_name, org_code, mode, sync_time, transfer_sync, transfer_time,
                  use_customer_id):
    """Show or change the sync settings of INTEGRATION (INT-2); prints them as JSON."""
    from app.models.integrations import SyncMode
    from app.services.sync import check_settings, settings_of
    row = _integration(org_code, integration_name)
    if mode:
        row.sync_mode = SyncMode(mode)
    if sync_time is not None:
        row.sync_time = sync_time
    if transfer_sync is not None:
        row.transfer_sync_enabled = transfer_sync
    if transfer_time is not None:
        row.transfer_sync_time = transfer_time
    if use_customer_id is not None:
        row.use_source_customer_id = use_customer_id
    check_settings(row)
    click.echo(json.dumps(settings_of(row)))
