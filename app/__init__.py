"""Muara: the app factory."""
import logging

from flask import Flask

from config import SettingError, build_config


def create_app(test_config=None, start_background=None):
    """Build the app. `start_background` starts the embedded worker and the re-queue
    thread; by default only `python run.py` does (see run.py)."""
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

    from flask_appbuilder import AppBuilder

    from app import models  # noqa: F401  (registers every table on the metadata)
    from app.background import start_background_threads
    from app.extensions import csrf, db, migrate, tune_sqlite
    from app.queue import TaskQueue
    from app.security.bad_requests import refuse_bad_requests
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
    migrate.init_app(app, db, directory=str(_migrations_dir()))
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


def _migrations_dir():
    from pathlib import Path
    return Path(__file__).resolve().parent.parent / "migrations"
