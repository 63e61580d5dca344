"""`python run.py` serves Muara; `flask --app run ...` runs its commands.

Started directly, it prepares an embedded portal on first start (schema, roles, demo
data), prints the demo logins and serves with the in-process queue worker.
"""
import os
import sys
from pathlib import Path

from app import create_app  # `flask --app run` finds this factory and calls it
from config import SettingError, env_int


def prepare_and_print_logins(web_app):
    """First start: schema and demo data. Every start: print the demo logins kept in
    the instance folder (owner-readable only)."""
    from sqlalchemy import inspect

    from app.demo import load_demo
    from app.extensions import db
    from app.setup import init_database

    logins_file = Path(web_app.config["INSTANCE_DIR"]) / "demo_logins.txt"
    with web_app.app_context():
        fresh = "ab_user" not in inspect(db.engine).get_table_names()
        init_database()
        if fresh or not web_app.appbuilder.sm.count_users():
            lines = [f"{role:18} {user:12} {password}" for user, password, role in load_demo()]
            db.session.commit()
            fd = os.open(logins_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write("\n".join(lines) + "\n")
    if logins_file.exists():
        print("\nDemo logins (role, username, password), kept in", logins_file)
        print(logins_file.read_text())


if __name__ == "__main__":
    host = os.environ.get("MUARA_HOST", "127.0.0.1")
    try:
        port = env_int("MUARA_PORT", 5000, minimum=1)
    except SettingError as exc:
        sys.exit(f"muara: {exc}")
    from app.background import start_background_threads

    web_app = create_app()
    prepare_and_print_logins(web_app)
    # After the schema exists: the embedded worker and the re-queue pass.
    start_background_threads(web_app)
    print(f"Muara is serving on http://{host}:{port}/  (Ctrl+C stops it)", file=sys.stderr)
    web_app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
