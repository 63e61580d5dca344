"""Fixtures: one app and schema per test session, every test starting from empty tables.

MUARA_TEST_DATABASE_URL picks the database (default: a SQLite file in a temp folder);
MUARA_TEST_REDIS_URL turns on the tests that need a real Redis and worker process.
"""
import os
import re

import pytest
from sqlalchemy import delete

from app import create_app
from app.extensions import db

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
