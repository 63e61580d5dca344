"""Fixtures: one app and schema per test session, every test starting from empty tables.

MUARA_TEST_DATABASE_URL picks the database (default: a SQLite file in a temp folder);
MUARA_TEST_REDIS_URL turns on the tests that need a real Redis and worker process.
"""
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import delete

from app import create_app
from app.extensions import db
from app.security import roles
from app.services.directory import add_integration
from tests.factories import (
    ERP_COLUMNS,
    MIXED_ROWS,
    add_line,
    add_template,
    drain,
    flashes,
    invoice_xlsx,
    make_distributor,
    rich_template,
    template_id,
    upload,
    uploaded_id,
)
from tests.fake_accurate import FakeAccurate

KEEP_TABLES = {"ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
               "ab_permission_view_role", "alembic_version"}
PASSWORD = "correct-horse-42"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instance")
    os.environ["MUARA_INSTANCE"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def database_url(instance_dir):
    return os.environ.get("MUARA_TEST_DATABASE_URL") or f"sqlite:///{instance_dir / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, instance_dir):
    from app.setup import init_database
    test_app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _with_driver(database_url),
        "WTF_CSRF_ENABLED": False,
        "MAIL_ENABLED": False,
        "REDIS_URL": None,
        # Every test signs in from 127.0.0.1: the per-address limit has its own tests.
        "LOGIN_RATE_LIMIT": "10000 per minute",
    })
    with test_app.app_context():
        _drop_everything()
        init_database()
    return test_app


def _with_driver(url):
    from config import normalise_database_url
    return normalise_database_url(url)


def _drop_everything():
    """Start each session from an empty database, migrations included."""
    from sqlalchemy import MetaData
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    metadata.drop_all(bind=db.engine)


@pytest.fixture(autouse=True)
def clean_tables(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.rollback()
        from flask_appbuilder import Model
        for table in reversed(Model.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                db.session.execute(delete(table))
        db.session.commit()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class World:
    """Builds organizations and users through the same services the CLI uses."""

    def __init__(self, app):
        self.app = app

    def org(self, code, kind="distributor", multi_location=False):
        from app.services.directory import add_org
        with self.app.app_context():
            org = add_org(code, f"{code} name", kind, multi_location)
            db.session.commit()
            return org.id

    def user(self, username, role, org_code=None):
        from app.services.directory import add_user
        with self.app.app_context():
            user = add_user(username, org_code, role, f"{username}@example.test", PASSWORD)
            db.session.commit()
            return user.id

    def run(self, fn, *args, **kwargs):
        """Run a service function in an app context and commit."""
        with self.app.app_context():
            result = fn(*args, **kwargs)
            db.session.commit()
            return getattr(result, "id", result)


@pytest.fixture
def world(app):
    return World(app)


def login(client, username, password=PASSWORD):
    client.post("/logout/")
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed"
    assert "/login" not in response.headers["Location"], f"login of {username} refused"
    return client


def denied(response):
    """A missing permission: 403 for a signed-in user, the login page for a visitor."""
    if response.status_code == 403:
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def row_ids(html, view):
    """Ids of the rows a list page links to (its show links)."""
    return sorted({int(m) for m in re.findall(rf"/{view}/show/(\d+)", html)})


# --- the worlds many test modules build on (builders in factories.py) ----------------------

@pytest.fixture
def d1(app):
    """Single-location distributor D1 shared with P1, customers C001/C002, location JKT."""
    from tests.factories import make_distributor
    return make_distributor(app)


@pytest.fixture
def root_admin(app, world):
    """D1 (as `d1`) and the platform Admin "root", signed in on a client of its own."""
    from tests.factories import make_distributor
    make_distributor(app)
    world.user("root", "Admin")
    return login(app.test_client(), "root")


@pytest.fixture
def returns_d1(app):
    """D1 with seed 004's master data, for the customer returns tests."""
    from tests.factories import make_returns_distributor
    return make_returns_distributor(app)


@pytest.fixture
def portal(app, world):
    """The Data Import screen's world: distributors A and B, principals P, Q, R, logins."""
    from tests.factories import import_screen_portal
    return import_screen_portal(app, world)


@pytest.fixture
def redis_app(app):
    """An app on a real Redis, with a queue name of its own, sharing the test database."""
    import uuid

    from app.queue import queue
    from tests.factories import REDIS_URL
    name = f"muara-test-{uuid.uuid4().hex[:8]}"
    redis_app = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "REDIS_URL": REDIS_URL, "QUEUE_NAME": name, "TESTING": True})
    yield redis_app
    with redis_app.app_context():
        queue().rq.delete(delete_jobs=True)


# --- the portal as `python run.py` serves it, in a real browser -----------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.live_server import LiveServer
    live = LiveServer(tmp_path_factory.mktemp("browser") / "instance")
    yield live
    live.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report kept on the test (`item.failed_call`), for the browser
    fixture below to tell a failed test from a passed one."""
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True
    return report


@pytest.fixture
def page(request, server):
    from tests.live_server import browser_page
    with browser_page(server) as page:
        yield page
        if getattr(request.node, "failed_call", False):
            _show_failed_page(request.node.name, page)


def _show_failed_page(test_name, page):
    """What the browser showed when a test failed: its address and text in the report
    (captured teardown output), its picture in .ci/logs (CI prints where)."""
    folder = Path(__file__).resolve().parent.parent / ".ci" / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    picture = folder / f"failed-{re.sub(r'[^A-Za-z0-9_.-]', '_', test_name)}.png"
    page.screenshot(path=picture, full_page=True)
    text = " ".join(page.inner_text("body").split())
    print(f"the page at failure: {page.url}\n{text[:800]}\npicture: {picture}")


# moved from tests/test_import_screens.py
@pytest.fixture
def mixed(app, client, portal):
    """A's Importer uploaded the mixed file (1 accepted, 2 rejected rows); the job ran."""
    login(client, "imp_a")
    content = invoice_xlsx(MIXED_ROWS)
    portal.mixed = uploaded_id(upload(client, content, filename="mixed.xlsx"))
    portal.mixed_bytes = content
    drain(app)
    return portal


# moved from tests/test_service_links.py
@pytest.fixture
def fake(app):
    server = FakeAccurate().start()
    saved = {k: app.config.get(k) for k in server.settings()}
    app.config.update(server.settings(page_size=2))
    yield server
    app.config.update(saved)
    server.stop()


@pytest.fixture
def setup(app, world):
    world.org("DIST1")
    world.org("DIST2")
    world.user("admin", "Admin")
    world.user("imp1", "Importer", "DIST1")
    world.user("imp2", "Importer", "DIST2")
    world.user("sup1", "Supervisor", "DIST1")
    ids = {"acc1": world.run(add_integration, "DIST1", "Accurate", "accurate"),
           "acc2": world.run(add_integration, "DIST2", "Accurate", "accurate"),
           "ext1": world.run(add_integration, "DIST1", "Files", "external")}
    return ids


# moved from tests/test_template_forms.py
@pytest.fixture
def editor(app, client, world):
    """D1 (customers C001, C002; the default templates) and its Template Editor, signed in."""
    d1 = make_distributor(app)
    world.user("ed", "Template Editor", "D1")
    login(client, "ed")
    return d1


@pytest.fixture
def erp_template(app, client, editor):
    """NAME added through the form, then its five lines through the field-line form."""
    response = add_template(client, editor)
    assert (flashes(response, "success"), flashes(response, "danger")) == (["Added Row"], [])
    template = template_id(app)
    for position, (field, column) in enumerate(ERP_COLUMNS.items(), start=1):
        response = add_line(client, template, position, field, column)
        assert (flashes(response, "success"), flashes(response, "danger")) == \
            (["Added Row"], []), field
    return template


# moved from tests/test_templates.py
@pytest.fixture
def orgs(app, world):
    ids = SimpleNamespace()
    ids.a = world.org("DIST-A")
    ids.b = world.org("DIST-B")
    ids.p = world.org("PRIN-P", kind="principal")
    world.user("editor_a", roles.TEMPLATE_EDITOR, "DIST-A")
    world.user("editor_b", roles.TEMPLATE_EDITOR, "DIST-B")
    world.user("imp_a", roles.IMPORTER, "DIST-A")
    world.user("sup_a", roles.SUPERVISOR, "DIST-A")
    world.user("root", roles.ADMIN)
    ids.template_a = world.run(rich_template, ids.a)
    ids.template_b = world.run(rich_template, ids.b)
    return ids


def pytest_collection_modifyitems(items):
    """The browser tests (tests/test_browser*.py) are marked `browser`: they serve the
    embedded portal (SQLite and the in-process queue) whatever database the suite runs
    on, so the PostgreSQL pass (`make test-scale`) leaves them to the SQLite pass."""
    for item in items:
        if item.module.__name__.rpartition(".")[2].startswith("test_browser"):
            item.add_marker(pytest.mark.browser)
