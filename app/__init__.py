"""Muara: the app factory."""
import logging
import os
import sys

from flask import Flask

from config import SettingError, build_config

# The `muara` commands that serve no page (issue 15, start-up): run as
# `flask --app run muara COMMAND`, they get the lean app: models, database, queue,
# settings, translations and the audit trail, without the framework's screens, menus,
# security views or REST API. The commands that read the screens (init and permissions
# sync the permissions of every view, demo and user add go through the framework's
# security manager, screen-strings lists the screens' words) keep the whole app.
LEAN_COMMANDS = frozenset({
    "import", "export", "undo", "sync-all", "purge", "worker", "scheduler", "queue-check",
    "audit", "apikey", "sync-settings", "sync-status", "sync-refresh", "sync-now", "org",
    "location", "connect", "integration", "template",
})


def serves_pages(argv=None):
    """False for `flask ... muara COMMAND ...` with COMMAND in LEAN_COMMANDS; True for
    anything else (python run.py, flask run, gunicorn, the tests' create_app calls)."""
    argv = sys.argv if argv is None else argv
    if not argv or os.path.basename(argv[0]) not in ("flask", "__main__.py"):
        return True
    args = argv[1:]
    if "muara" not in args:
        return True
    rest = args[args.index("muara") + 1:]
    return not (rest and rest[0] in LEAN_COMMANDS)


def create_app(test_config=None, start_background=None, serve_pages=None):
    """Build the app. `start_background` starts the embedded worker and the re-queue
    thread; by default only `python run.py` does (see run.py). `serve_pages=False`
    builds the lean app of the commands that serve no page; by default the command
    line decides (`serves_pages`)."""
    command_process = False
    if serve_pages is None:
        serve_pages = serves_pages()
        # `flask ... muara COMMAND`, COMMAND serving no page: the app lives as long as
        # this process (the `muara` launcher does the same itself, app/__main__.py).
        command_process = not serve_pages
    if not serve_pages:
        _defer_framework_package()
    app = Flask(__name__, instance_relative_config=False)
    try:
        app.config.update(build_config())
    except SettingError as exc:
        # Settings fail closed: stop here with one line naming the variable.
        raise SystemExit(f"muara: {exc}") from None
    if test_config:
        app.config.update(test_config)
    logging.basicConfig(level=app.config["LOG_LEVEL"],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if command_process:
        from app.importing.gc_pause import built_for_the_process
        with built_for_the_process():  # 0.35 s of `flask ... muara import`
            return _lean_app(app)
    if not serve_pages:
        return _lean_app(app)

    from flask_appbuilder import AppBuilder

    from app import models  # noqa: F401  (registers every table on the metadata)
    from app.background import start_background_threads
    from app.extensions import db, install_migrations, tune_sqlite
    from app.queue import TaskQueue
    from app.security.bad_requests import refuse_bad_requests
    from app.security.csrf import csrf
    from app.security.files import make_instance_private
    from app.security.headers import secure_responses
    from app.security.manager import PortalSecurityManager
    from app.security.roles import builtin_roles
    from app.views import menu_of_view, register_views

    app.config["FAB_ROLES"] = builtin_roles(menu_of_view())
    make_instance_private(app.config["INSTANCE_DIR"], app.config["SQLALCHEMY_DATABASE_URI"])
    secure_responses(app)
    app.before_request(refuse_bad_requests)
    db.init_app(app)
    csrf.init_app(app)
    install_migrations(app, str(_migrations_dir()))
    TaskQueue(app)
    from app.views.home import HomeView
    # Permissions are synced by `muara init` (and run.py's first start), not by every
    # process that starts.
    appbuilder = AppBuilder(indexview=HomeView, update_perms=False,
                            base_template="muara/base.html",
                            security_manager_class=PortalSecurityManager)
    from app.security.views import PortalUserDBModelView
    from app.views.display import with_display_formatters
    # The framework's user screens read like ours (local times to the second).
    with_display_formatters(PortalUserDBModelView)
    with app.app_context():
        tune_sqlite(db.engine)
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
        from app.api import register_apis
        register_apis(appbuilder)
        from app.i18n import install_localization
        install_localization(app, appbuilder)

    from app.views.errors import register_error_pages
    register_error_pages(app)
    from app.views import notices
    notices.install(app)
    from app.security import audit_capture, sign_in_audit
    audit_capture.install()
    sign_in_audit.install(app)

    from app.cli import muara
    app.cli.add_command(muara)

    if start_background:
        start_background_threads(app)
    return app


def _lean_app(app):
    """The app of a command that serves no page: what its services and jobs use, and
    nothing of the framework's screens. It reads roles and permissions, never writes
    them (only `muara init` does)."""
    from app import models  # noqa: F401  (registers every table on the metadata)
    from app.cli import muara
    from app.extensions import db, tune_sqlite
    from app.i18n import install_command_localization
    from app.queue import TaskQueue
    from app.security import audit_capture
    from app.security.files import make_instance_private

    make_instance_private(app.config["INSTANCE_DIR"], app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    TaskQueue(app)
    with app.app_context():
        tune_sqlite(db.engine)
    install_command_localization(app)
    audit_capture.install()
    app.cli.add_command(muara)
    return app


def _defer_framework_package():
    """Flask-AppBuilder's package __init__ imports the whole framework (REST API, JSON
    schemas, rate limits, JWT, forms): about a second of start-up. The lean app needs
    only its model base and security tables, so the package is registered without
    running its __init__; the first name asked of it that is not `Model` runs it then
    (so any later use of the framework finds it whole)."""
    import importlib
    import importlib.util
    if "flask_appbuilder" in sys.modules:
        return
    spec = importlib.util.find_spec("flask_appbuilder")
    package = importlib.util.module_from_spec(spec)

    def complete(name):
        if name == "Model":
            return importlib.import_module("flask_appbuilder.models.sqla").Model
        del package.__getattr__
        spec.loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = complete
    sys.modules["flask_appbuilder"] = package


def _migrations_dir():
    from pathlib import Path
    return Path(__file__).resolve().parent.parent / "migrations"
