"""Files in and records out: import, Sync All (consolidation), export, and the retention
purge."""
import json
import os

import click
from flask.cli import with_appcontext

from app.cli.common import command_errors
from app.cli.waiting import wait_for_import, wait_for_task
from app.errors import MuaraError
from app.extensions import db
from app.services import directory


@click.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--module", "module_name", help="The module the file is for (or --template-set).")
@click.option("--template-set", "set_name",
              help="Import a workbook's sheets with this template set (its name or id), "
                   "master data first, as one file.")
@click.option("--org", "org_code", required=True)
@click.option("--principal", help="Who can view the file (a connected principal's code).")
@click.option("--integration", "integration_name", help="The External integration it came from.")
@click.option("--template", "template_name", help="The mapper template's name.")
@click.option("--force", is_flag=True, help="Import even if the same file was imported before.")
@click.option("--dry-run", is_flag=True,
              help="Check only: validate the file and say what an import would do; write "
                   "nothing.")
@click.option("--wait", is_flag=True, help="Wait for the job and print its JSON summary.")
@with_appcontext
def import_file(path, module_name, set_name, org_code, principal, integration_name,
                template_name, force, dry_run, wait):
    """Import the file at PATH into MODULE for ORG (SPEC section 8), or a workbook with a
    template set (issue 19.5)."""
    if bool(module_name) == bool(set_name):
        raise click.UsageError("give either --module or --template-set")
    if set_name and template_name:
        raise click.UsageError("--template names one module's template; a template set "
                               "names the template of each sheet")
    try:
        org_row = directory.get_org(org_code)
        with open(path, "rb") as handle:  # streamed: refused for size before it is read
            imp = _store(org_row, module_name, set_name, os.path.basename(path), handle,
                         principal_code=principal, integration_name=integration_name,
                         template_name=template_name, force=force, dry_run=dry_run)
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


def _store(org_row, module_name, set_name, filename, handle, template_name=None, **options):
    if set_name:
        from app.services import template_sets
        template_set = template_sets.find_set(org_row, set_name)
        return template_sets.create_set_import(org_row, template_set, filename, handle,
                                               source="cli", **options)
    from app.services.imports import create_import
    return create_import(org_row, module_name, filename, handle, template_name=template_name,
                         source="cli", **options)


@click.command("sync-all")
@click.argument("principal_code", metavar="PRINCIPAL")
@click.option("--wait", is_flag=True, help="Wait and print the counts as JSON.")
@with_appcontext
@command_errors
def sync_all(principal_code, wait):
    """Consolidate every waiting file shared with PRINCIPAL (its "Sync All")."""
    from app.services.consolidation import principal_by_code, request_sync_all
    task = request_sync_all(principal_by_code(principal_code))
    if not wait:
        click.echo(json.dumps({"task_id": task.id, "status": "queued"}))
        return
    click.echo(json.dumps(wait_for_task(task.id)))


@click.command()
@click.option("--days", type=click.IntRange(min=0),
              help="Retention in days (default: MUARA_RETENTION_DAYS).")
@with_appcontext
def purge(days):
    """Delete files older than the retention period with their bytes and staged rows;
    consolidated records stay."""
    from app.services.consolidation import purge_old_files
    click.echo(json.dumps(purge_old_files(days=days)))


@click.command("export")
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
    from app.security.tenancy import Viewer, user_named
    from app.services.exports import export_text
    org_row = directory.get_org(org_code)
    if viewer:
        user_row = user_named(viewer)
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


@click.command("undo")
@click.argument("import_id", type=int)
@click.option("--wait", is_flag=True, help="Wait for the undo and print its JSON result.")
@with_appcontext
@command_errors
def undo(import_id, wait):
    """Undo import IMPORT_ID: remove the records it created, give the records it updated
    their values from before it (a record a later file changed is kept and listed)."""
    from app.models import ImportFile
    from app.services.undo import request_undo
    imp = db.session.get(ImportFile, import_id)
    if imp is None:
        raise MuaraError(f"unknown import: {import_id}")
    task = request_undo(imp)
    if not wait:
        click.echo(json.dumps({"import_id": imp.id, "status": "undoing", "task_id": task.id}))
        return
    click.echo(json.dumps(wait_for_task(task.id), ensure_ascii=False))


COMMANDS = [import_file, sync_all, purge, export, undo]
