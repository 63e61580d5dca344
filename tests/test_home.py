"""Each role's home page shows what it needs now (issue 17 item 11)."""
import datetime as dt
import re

from app.extensions import db
from app.importing.modules import STAGED_MODULES
from app.models import BackgroundTask, ImportFile
from app.models.imports import ImportStatus
from app.models.tasks import TaskStatus
from app.security import roles
from app.services import home
from app.services.apikeys import create_key
from app.services.directory import get_org
from tests.conftest import login
from tests.factories import html


def section(page, panel_id):
    """The panel `panel_id` of the home page, up to the next panel (None: not shown)."""
    match = re.search(rf'id="{panel_id}"(.*?)(?=<div class="col-md-6" id="home-|</body>)',
                      page, re.S)
    return match.group(1) if match else None


def add_file(app, org_code, filename, status=ImportStatus.archived, **extra):
    with app.app_context():
        imp = ImportFile(organization_id=get_org(org_code).id, module="open_invoices",
                         filename=filename, size=1, sha256="0" * 64, status=status, **extra)
        db.session.add(imp)
        db.session.commit()
        return imp.id


def test_the_importer_sees_its_last_files_and_import_a_file(app, client, portal):
    add_file(app, "DIST-A", "mine.xlsx", ImportStatus.needs_attention, rejected=2)
    add_file(app, "DIST-B", "theirs.xlsx")
    login(client, "imp_a")
    page = html(client.get("/"))
    mine = section(page, "home-importer")
    assert "mine.xlsx" in mine and "Needs attention" in mine
    assert "theirs.xlsx" not in page
    assert 'href="/data-import/"' in mine
    assert section(page, "home-admin") is None and section(page, "home-supervisor") is None


def test_the_importers_list_is_limited(app, client, portal):
    for n in range(home.HOME_LIMIT + 3):
        add_file(app, "DIST-A", f"file-{n:02d}.xlsx")
    login(client, "imp_a")
    mine = section(html(client.get("/")), "home-importer")
    assert len(re.findall(r"file-\d\d\.xlsx", mine)) == home.HOME_LIMIT
    assert f"file-{home.HOME_LIMIT + 2:02d}.xlsx" in mine  # the newest first


def test_the_supervisor_sees_unresolved_rejections_by_file(app, client, portal):
    pk = add_file(app, "DIST-A", "bad.xlsx", ImportStatus.needs_attention, rejected=7)
    add_file(app, "DIST-A", "good.xlsx", ImportStatus.archived)
    add_file(app, "DIST-B", "other.xlsx", ImportStatus.needs_attention, rejected=3)
    login(client, "sup_a")
    part = section(html(client.get("/")), "home-supervisor")
    assert "bad.xlsx" in part and "<td>7</td>" in part
    assert "good.xlsx" not in part and "other.xlsx" not in part
    assert re.search(rf'href="/[a-z-]+/list/\?_flt_0_import_file={pk}"', part)


def test_the_template_editor_sees_templates_and_the_modules_without_one(app, client, world,
                                                                        portal):
    world.user("ed_a", roles.TEMPLATE_EDITOR, "DIST-A")
    login(client, "ed_a")
    part = section(html(client.get("/")), "home-template-editor")
    assert "Open Invoices" in part  # the default template portal made
    assert "No template for" in part and "Open Credits" in part
    assert f'/templateview/defaults?org={portal.a}' in part


def test_the_principal_sees_waiting_files_sync_all_and_the_dashboard(app, client, world,
                                                                     portal):
    with app.app_context():
        prin = get_org("PRIN-P").id
    staged = dict(principal_id=prin, staged_at=dt.datetime(2026, 1, 1))
    for name in ("wait-1.csv", "wait-2.csv"):
        add_file(app, "DIST-A", name, ImportStatus.imported, **staged)
    with app.app_context():
        db.session.execute(ImportFile.__table__.update().values(module=STAGED_MODULES[0]))
        db.session.commit()
    login(client, "prin_p")
    part = section(html(client.get("/")), "home-principal")
    assert "wait-1.csv" in part and "wait-2.csv" in part and "DIST-A" in part
    assert 'href="/sync-all/"' in part and 'href="/dashboard/"' in part


def test_the_admin_sees_failed_work_and_workers(app, client, world, portal):
    with app.app_context():
        db.session.add(BackgroundTask(function="app.services.import_job.process_import_job",
                                      args="[1]", status=TaskStatus.failed,
                                      error="Traceback...\nValueError: the disk is full"))
        db.session.commit()
    world.user("root", roles.ADMIN)
    login(client, "root")
    part = section(html(client.get("/")), "home-admin")
    assert "Process import" in part and "ValueError: the disk is full" in part
    assert 'id="home-no-workers"' in part  # the test app runs no worker


def test_the_organization_admin_sees_its_users_keys_and_connections(app, client, world,
                                                                    portal):
    world.user("oa_a", roles.ORG_ADMIN, "DIST-A")
    with app.app_context():
        from app.models import Integration
        integration = db.session.query(Integration).filter_by(name="Ext A").one()
        create_key(integration)
        other = db.session.query(Integration).filter_by(name="Ext B").one()
        create_key(other)
        db.session.commit()
    login(client, "oa_a")
    part = section(html(client.get("/")), "home-org-admin")
    users = re.search(r'id="home-users">(.*?)</ul>', part, re.S).group(1)
    assert "imp_a" in users and "sup_a" in users and "oa_a" in users
    assert "imp_b" not in users and "prin_p" not in users
    assert "DIST-A &rarr; PRIN-P" in part and "DIST-B" not in part
    keys = re.search(r'id="home-keys">(.*?)</ul>', part, re.S).group(1)
    assert "for Ext A" in keys and "Ext B" not in keys
    assert 'href="/users/list/"' in part
