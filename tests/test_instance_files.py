"""Files private (issue 18, finding 6): the instance folder 0700, the SQLite database with
its WAL files, the secret key and the demo logins 0600, also when they existed before."""
import os
import stat

from app.security.files import make_instance_private, sqlite_file
from config import persistent_secret_key


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_instance_is_private(tmp_path):
    folder = tmp_path / "instance"
    database = folder / "muara.db"
    make_instance_private(folder, f"sqlite:///{database}")
    persistent_secret_key(folder)
    assert mode(folder) == 0o700
    assert database.exists() and mode(database) == 0o600
    assert mode(folder / "secret_key") == 0o600


def test_an_instance_left_readable_by_an_older_version_is_tightened(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir(mode=0o755)
    names = ["muara.db", "muara.db-wal", "muara.db-shm", "secret_key", "demo_logins.txt"]
    for name in names:
        (folder / name).write_text("x")
        os.chmod(folder / name, 0o644)
    make_instance_private(folder, f"sqlite:///{folder / 'muara.db'}")
    assert mode(folder) == 0o700
    assert {name: mode(folder / name) for name in names} == dict.fromkeys(names, 0o600)


def test_sqlite_keeps_the_private_mode_of_the_file_it_writes(tmp_path):
    import sqlite3
    folder = tmp_path / "instance"
    database = folder / "muara.db"
    make_instance_private(folder, f"sqlite:///{database}")
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        assert mode(database) == 0o600 and mode(f"{database}-wal") == 0o600


def test_only_a_sqlite_file_is_touched():
    assert sqlite_file("postgresql+psycopg://db/muara") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert str(sqlite_file("sqlite:////srv/muara.db?timeout=5")) == "/srv/muara.db"


def test_the_running_apps_instance_is_private(app, instance_dir):
    assert mode(instance_dir) == 0o700
    assert mode(instance_dir / "secret_key") == 0o600
