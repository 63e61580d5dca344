"""Start-up of the commands that serve no page (issue 15): `flask --app run muara import`
(export, undo, worker, ...) builds the lean app: models, database, queue, settings,
translations and the audit trail, no screens, menus, security views or REST API; and it
leaves the roles and permissions as `muara init` made them."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app import LEAN_COMMANDS, create_app, serves_pages
from app.extensions import db
from app.models import OpenInvoice
from tests.factories import make_distributor

ROOT = Path(__file__).resolve().parent.parent
PERMISSION_TABLES = ("ab_role", "ab_permission", "ab_view_menu", "ab_permission_view",
                     "ab_permission_view_role")


@pytest.mark.parametrize("argv, serves", [
    (["/venv/bin/flask", "--app", "run", "muara", "import", "f.xlsx", "--wait"], False),
    (["/venv/lib/flask/__main__.py", "--app", "run", "muara", "worker", "--burst"], False),
    (["flask", "--app", "run", "muara", "export", "open_invoices", "--org", "D1"], False),
    (["flask", "--app", "run", "muara", "init"], True),          # syncs every view's permissions
    (["flask", "--app", "run", "muara", "user", "add", "u"], True),   # the security manager
    (["flask", "--app", "run", "muara", "permissions"], True),   # reads the screens
    (["flask", "--app", "run", "muara", "--help"], True),
    (["flask", "--app", "run", "run"], True),                    # flask run serves pages
    (["flask", "--app", "run", "routes"], True),
    (["run.py"], True),                                          # python run.py
    (["/venv/bin/gunicorn", "-w", "4", "run:create_app()"], True),
    (["/venv/bin/pytest", "muara", "import"], True),
])
def test_the_command_line_decides_which_app_is_built(argv, serves):
    assert serves_pages(argv) is serves


def test_the_lean_app_has_no_screens_and_every_command(app):
    lean = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "TESTING": True, "MAIL_ENABLED": False, "REDIS_URL": None},
                      serve_pages=False)
    assert not hasattr(lean, "appbuilder")
    assert [rule.endpoint for rule in lean.url_map.iter_rules()] == ["static"]
    commands = lean.cli.commands["muara"].commands
    assert LEAN_COMMANDS <= set(commands)
    assert "babel" in lean.extensions  # result e-mails are written in the user's language
    # The whole app of the same settings serves its screens.
    assert len(list(app.url_map.iter_rules())) > 100


def permission_rows(app):
    """Every role's permissions, as (role, permission, view or menu), and the count of
    permission rows of every kind."""
    with app.app_context():
        grants = set(db.session.execute(text(
            "SELECT r.name, p.name, v.name FROM ab_permission_view_role pvr "
            "JOIN ab_role r ON r.id = pvr.role_id "
            "JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id "
            "JOIN ab_permission p ON p.id = pv.permission_id "
            "JOIN ab_view_menu v ON v.id = pv.view_menu_id")).all())
        counts = {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in PERMISSION_TABLES}
        db.session.remove()
    assert len(grants) > 100  # `muara init` made them
    return grants, counts


LAUNCHERS = {
    # The documented contract (SPEC section 8).
    "flask": "sys.argv = ['flask', '--app', 'run', 'muara', *{args!r}]\n"
             "from flask.cli import main\nmain()\n",
    # `muara ARGS` (.venv/bin/muara runs `python -m app`): no `flask` plugins either.
    "muara": "sys.argv = ['muara', *{args!r}]\n"
             "from app.__main__ import main\nsys.exit(main())\n",
}


def run_command(app, tmp_path, *args, launcher="flask"):
    """`flask --app run muara ARGS` (or `muara ARGS`) in its own process, on the tests'
    database, with the embedded queue; stderr ends with the modules it loaded that a lean
    app must not, and the garbage collector's state at the end (`collector`)."""
    probe = ("import atexit, gc, json, sys\n"
             "atexit.register(lambda: print('LOADED ' + json.dumps(sorted(m for m in "
             "('app.views', 'app.api', 'app.security.views', 'openpyxl', "
             "'flask_appbuilder.api') if m in sys.modules)), file=sys.stderr))\n"
             "atexit.register(lambda: print('COLLECTOR ' + json.dumps("
             "{'enabled': gc.isenabled(), 'frozen': gc.get_freeze_count() > 0}), "
             "file=sys.stderr))\n"
             + LAUNCHERS[launcher].format(args=list(args)))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], MAIL_ENABLED="0",
               MUARA_INSTANCE=str(tmp_path / "instance"))
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    loaded = json.loads(done.stderr.rsplit("LOADED ", 1)[1].splitlines()[0])
    return done, loaded


def collector(done):
    return json.loads(done.stderr.rsplit("COLLECTOR ", 1)[1].splitlines()[0])


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_an_import_from_the_command_line_runs_on_the_lean_app(app, tmp_path, launcher):
    make_distributor(app, customers=("C001", "C002"))
    before = permission_rows(app)
    invoices = tmp_path / "invoices.csv"
    invoices.write_text("Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,"
                        "Location Code\nINV-1,C001,2025-01-31,10.5,PO-1,JKT\n"
                        "INV-2,C002,2025-02-01,7,PO-2,JKT\nINV-3,C404,2025-02-01,7,PO-3,JKT\n",
                        encoding="utf-8")
    done, loaded = run_command(app, tmp_path, "import", str(invoices), "--module",
                               "open_invoices", "--org", "D1", "--wait", launcher=launcher)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["accepted"], summary["rejected"]) == (2, 1), summary
    # No screen, no REST API, no spreadsheet writer for a .csv file; through `muara`
    # not even the framework's package (flask's `fab` plugin command imports it).
    expected = {"flask": ["flask_appbuilder.api"], "muara": []}[launcher]
    assert loaded == expected, loaded
    # A command's app is built with the collector paused and frozen out of its later
    # collections; the command itself (a worker runs for days) runs with it on.
    assert collector(done) == {"enabled": True, "frozen": True}
    with app.app_context():
        assert db.session.execute(select(OpenInvoice.reference)
                                  .order_by(OpenInvoice.reference)).scalars().all() \
            == ["INV-1", "INV-2"]
        db.session.remove()
    assert permission_rows(app) == before


def test_the_muara_launcher_lists_every_command_and_refuses_as_flask_does(app, tmp_path):
    listed, _ = run_command(app, tmp_path, "--help", launcher="muara")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("Usage: muara"), listed.stdout
    for command in ("init", "demo", "import", "worker", "undo", "export"):
        assert f"  {command} " in listed.stdout, command
    refused, _ = run_command(app, tmp_path, "import", str(tmp_path / "missing.csv"),
                             "--module", "open_invoices", "--org", "NOPE", launcher="muara")
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.startswith("Error: unknown organization: NOPE"), refused.stderr


def test_export_for_a_viewer_on_the_lean_app(app, world, tmp_path):
    """--viewer is looked up without the framework's security manager, as sign-in looks
    it up (any case); an unknown one is refused."""
    make_distributor(app, customers=("C001",))
    world.user("imp1", "Importer", "D1")
    done, loaded = run_command(app, tmp_path, "export", "open_invoices", "--org", "D1",
                               "--viewer", "IMP1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("Invoice #,Customer Code"), done.stdout
    assert "app.views" not in loaded
    refused, _ = run_command(app, tmp_path, "export", "open_invoices", "--org", "D1",
                             "--viewer", "nobody")
    assert refused.returncode != 0
    assert "unknown user: nobody" in refused.stderr


def test_the_framework_package_is_completed_when_asked_for(app, tmp_path):
    """Outside the `flask` command line (whose plugin commands import Flask-AppBuilder
    whole first), the lean app runs without the framework's __init__; the first name
    asked of the package other than Model runs it, and the framework is whole."""
    make_distributor(app, customers=("C001",))
    invoices = tmp_path / "invoices.csv"
    invoices.write_text("Invoice #,Customer Code,Invoice Date,Invoice Balance,Customer PO,"
                        "Location Code\nINV-1,C001,2025-01-31,10.5,PO-1,JKT\n",
                        encoding="utf-8")
    probe = (
        "import json, sys\n"
        "from app import create_app\n"
        f"lean = create_app({{'SQLALCHEMY_DATABASE_URI': {app.config['SQLALCHEMY_DATABASE_URI']!r},"
        " 'MAIL_ENABLED': False, 'REDIS_URL': None}, serve_pages=False)\n"
        "deferred = 'flask_appbuilder.api' not in sys.modules\n"
        "done = lean.test_cli_runner().invoke(args=['muara', 'import', "
        f"{str(invoices)!r}, '--module', 'open_invoices', '--org', 'D1', '--wait'])\n"
        "still_deferred = 'flask_appbuilder.api' not in sys.modules\n"
        "from flask_appbuilder import AppBuilder, ModelView\n"
        "print(json.dumps({'deferred': deferred, 'still': still_deferred, 'exit': done.exit_code,"
        " 'output': done.output, 'whole': 'flask_appbuilder.api' in sys.modules,"
        " 'names': [AppBuilder.__name__, ModelView.__name__]}))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(MUARA_INSTANCE=str(tmp_path / "instance"))
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["exit"] == 0, seen["output"]
    assert json.loads(seen["output"].strip().splitlines()[-1])["accepted"] == 1
    assert seen["deferred"] and seen["still"], seen
    assert seen["whole"] and seen["names"] == ["AppBuilder", "ModelView"]
