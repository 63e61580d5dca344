"""Issue 17.15: what a newcomer meets. `make test` checks for chromium before the suite
(scripts/check-browser.sh); the README links only what a clone has; the first start
writes no permission rows only to delete them and prints no misleading warnings."""
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check-browser.sh"


def check_browser(**env):
    environment = {"PATH": os.environ["PATH"], "MUARA_NO_APT": "1", **env}
    return subprocess.run(["sh", str(SCRIPT)], env=environment, capture_output=True,
                          text=True, timeout=60)


def test_a_missing_chromium_stops_make_test_with_how_to_get_it(tmp_path):
    result = check_browser(CHROMIUM=str(tmp_path / "no-chromium"))
    assert result.returncode == 1
    assert f"chromium is missing ({tmp_path / 'no-chromium'} not found)" in result.stderr
    assert "sudo apt-get install chromium" in result.stderr
    assert "MUARA_SKIP_BROWSER=1" in result.stderr


def test_a_present_browser_passes_quietly():
    result = check_browser(CHROMIUM=sys.executable)  # any executable stands for it
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_skipping_the_browser_tests_is_said_and_allowed(tmp_path):
    result = check_browser(CHROMIUM=str(tmp_path / "none"), MUARA_SKIP_BROWSER="1")
    assert result.returncode == 0
    assert "browser tests will be skipped" in result.stdout


def test_make_test_checks_the_browser_before_the_suite():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*check-browser", makefile, re.M)


def test_the_readme_links_only_what_a_clone_has():
    readme = (ROOT / "README.md").read_text()
    assert "../shared" not in readme
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)", readme):
        assert (ROOT / target).exists(), target


def test_the_first_start_writes_no_permission_rows_to_delete_and_warns_nothing(
        tmp_path, caplog):
    """A fresh database through the same set-up as `python run.py`'s first start."""
    from app import create_app
    from app.extensions import db
    from app.setup import init_database
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'first.db'}",
                        "TESTING": True})
    deleted = []
    with fresh.app_context():
        from flask_appbuilder.security.sqla.models import PermissionView, ViewMenu

        @event.listens_for(db.session, "before_flush")
        def _count_deletes(session, _context, _instances):
            deleted.extend(o for o in session.deleted if isinstance(o, (PermissionView,
                                                                        ViewMenu)))
        with caplog.at_level(logging.WARNING, logger="flask_appbuilder"):
            init_database()
        event.remove(db.session, "before_flush", _count_deletes)
        patterns = db.session.execute(select(func.count(ViewMenu.id)).where(
            ViewMenu.name.like("^%"))).scalar()
        commits = []

        def _count_commit(_session):
            commits.append(1)
        event.listen(db.session, "after_commit", _count_commit)
        from app.setup import sync_security
        sync_security()  # every later start
        event.remove(db.session, "after_commit", _count_commit)
        roles = {r.name for r in fresh.appbuilder.sm.get_all_roles()}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [w for w in warnings if "No user yet created" in w], warnings
    assert not [w for w in warnings if "Refused to delete" in w], warnings
    assert patterns == 0, "permission rows named after the roles' patterns were written"
    assert deleted == [], "the first start deleted what it had just written"
    assert len(commits) <= 2, f"a later start's security sync made {len(commits)} commits"
    assert {"Admin", "Importer", "Supervisor", "Template Editor", "Principal",
            "Public"} <= roles
