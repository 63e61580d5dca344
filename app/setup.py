"""Schema and security set-up, shared by `muara init`, run.py and the tests."""
from flask import current_app
from flask_migrate import upgrade

from app.extensions import db


def init_database():
    upgrade()
    sync_security()


def sync_security():
    """Create the roles and the permission rows of every view; drop stale ones."""
    appbuilder = current_app.appbuilder
    # The tables exist now (migrations), so the framework's create_db only adds roles.
    current_app.config["FAB_CREATE_DB"] = True
    try:
        appbuilder.sm.create_db()
    finally:
        current_app.config["FAB_CREATE_DB"] = False
    appbuilder.add_permissions(update_perms=True)
    appbuilder.sm.security_cleanup(appbuilder.baseviews, appbuilder.menu)
    db.session.commit()
