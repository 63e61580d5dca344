"""A chosen file kept on the server while its upload form is corrected (issue 17).

When the Data Import form is refused (a module that cannot be imported, a duplicate, a
missing choice), the file the user chose is not lost: it is kept as a pending upload in
the instance folder (copied in chunks, never read whole into memory), the form says
"File kept: name, size", and the next submit without a new file imports the kept one.
A pending upload belongs to the user who chose it, and is removed once imported, when
replaced, or after a day.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

from flask import current_app

CHUNK = 1024 * 1024
KEPT_FOR_SECONDS = 24 * 60 * 60
_TOKEN = re.compile(r"[0-9a-f]{32}\Z")


@dataclass(frozen=True)
class PendingUpload:
    token: str
    filename: str
    size: int
    user_id: Optional[int]

    @property
    def path(self) -> Path:
        return folder() / f"{self.token}.bin"

    def open(self) -> BinaryIO:
        return open(self.path, "rb")


def folder() -> Path:
    path = Path(current_app.config["INSTANCE_DIR"]) / "pending-uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def keep(stream: BinaryIO, filename: str, user_id: Optional[int]) -> Optional[PendingUpload]:
    """Copy `stream` (from its start) into the pending folder; None when it is over the
    upload limit (such a file would be refused anyway) or empty."""
    _purge_old()
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    token = secrets.token_hex(16)
    pending_path = folder() / f"{token}.bin"
    stream.seek(0)
    size = 0
    with open(pending_path, "wb") as out:
        os.chmod(pending_path, 0o600)
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            out.write(chunk)
    if size == 0 or size > limit:
        pending_path.unlink(missing_ok=True)
        return None
    pending = PendingUpload(token, filename[:255], size, user_id)
    (folder() / f"{token}.json").write_text(json.dumps(
        {"filename": pending.filename, "size": size, "user_id": user_id}))
    return pending


def find(token: str, user_id: Optional[int]) -> Optional[PendingUpload]:
    """The user's pending upload of that token; None when it is gone or not theirs."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    try:
        meta = json.loads((folder() / f"{token}.json").read_text())
    except (OSError, ValueError):
        return None
    pending = PendingUpload(token, meta.get("filename", ""), int(meta.get("size", 0)),
                            meta.get("user_id"))
    if pending.user_id != user_id or not pending.path.exists():
        return None
    return pending


def discard(pending: Optional[PendingUpload]) -> None:
    if pending is None:
        return
    for suffix in (".bin", ".json"):
        (folder() / f"{pending.token}{suffix}").unlink(missing_ok=True)


def _purge_old() -> None:
    limit = time.time() - KEPT_FOR_SECONDS
    for path in folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue

