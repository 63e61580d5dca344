"""The instance folder is private: the folder 0700, the SQLite database (with its WAL
and shared-memory files), the secret key and the demo logins 0600. Applied at every
start, so an instance made by an older version is tightened too."""
import os
from pathlib import Path

PRIVATE_FILES = ("secret_key", "demo_logins.txt")


def make_instance_private(instance_dir, database_url):
    folder = Path(instance_dir)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    database = sqlite_file(database_url)
    if database is not None:
        # Created empty and private before SQLite opens it (SQLite keeps the mode, and
        # gives its -wal and -shm files the database's mode).
        if not database.exists():
            database.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            _private(path)
    for name in PRIVATE_FILES:
        _private(folder / name)


def sqlite_file(database_url):
    """The file of a sqlite:///path URL; None for other databases and in-memory SQLite."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix):
        return None
    path = database_url[len(prefix):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def _private(path):
    if path.exists():
        os.chmod(path, 0o600)
