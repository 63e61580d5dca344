"""An upload into the store in chunks: size before memory.

An uploaded file (web form, API, `muara import`) is never held in memory whole: it is
copied in chunks to a temporary file while its size and SHA-256 are counted, refused for
size as soon as the limit is passed, and then written into `import_blob` chunk by chunk
(SQLite: incremental blob I/O into a zeroblob; PostgreSQL: one binary COPY row
streamed chunk by chunk).
"""
from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import text
from sqlalchemy.orm import Session

CHUNK = 8 * 1024 * 1024


class TooLarge(Exception):
    """Over the size limit; `size` is the file's whole size when it is known, else None."""

    def __init__(self, size: int | None):
        super().__init__(size)
        self.size = size


@dataclass
class SpooledUpload:
    """The upload on disk (or in memory when it came as bytes), with its size and hash."""
    size: int
    sha256: str
    path: str | None = None
    content: bytes | None = None

    def chunks(self) -> Iterator[bytes]:
        if self.content is not None:
            for start in range(0, len(self.content), CHUNK):
                yield self.content[start:start + CHUNK]
            return
        with open(self.path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def discard(self) -> None:
        if self.path is not None:
            os.unlink(self.path)
            self.path = None


def spool_upload(source: bytes | BinaryIO, limit: int) -> SpooledUpload:
    """Count, hash and (for a stream) copy the upload to a temporary file; TooLarge as
    soon as more than `limit` bytes were seen (or when its known size says so)."""
    if isinstance(source, (bytes, bytearray)):
        if len(source) > limit:
            raise TooLarge(len(source))
        return SpooledUpload(len(source), hashlib.sha256(source).hexdigest(),
                             content=bytes(source))
    known = _known_size(source)
    if known is not None and known > limit:
        raise TooLarge(known)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(prefix="muara-upload-", delete=False) as handle:
        try:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(known)
                digest.update(chunk)
                handle.write(chunk)
        except BaseException:
            os.unlink(handle.name)
            raise
    return SpooledUpload(size, digest.hexdigest(), path=handle.name)


def _known_size(source):
    """The bytes left in a seekable stream or file, without reading them; else None.
    (Not fileno(): a SpooledTemporaryFile would write itself to disk for it.)"""
    try:
        here = source.tell()
        end = source.seek(0, os.SEEK_END)
        source.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def write_blob(session: Session, import_id: int, upload: SpooledUpload) -> None:
    """The upload's bytes into import_blob, one chunk in memory at a time, in the
    session's transaction."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        session.execute(text("INSERT INTO import_blob (import_id, content) "
                             "VALUES (:id, zeroblob(:size))"),
                        {"id": import_id, "size": upload.size})
        if upload.size:
            raw = connection.connection.driver_connection
            with raw.blobopen("import_blob", "content", import_id) as blob:
                for chunk in upload.chunks():
                    blob.write(chunk)
        return
    _copy_blob(connection, import_id, upload)


def _copy_blob(connection, import_id: int, upload: SpooledUpload) -> None:
    """PostgreSQL: one binary COPY row, the bytea streamed chunk by chunk (appending per
    chunk with `content || chunk` rewrote the whole value each time: a 500 MB file
    wrote about 16 GB)."""
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy("COPY import_blob (import_id, content) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0))  # signature, flags
        copy.write(struct.pack("!hii", 2, 4, import_id) + struct.pack("!i", upload.size))
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.write(struct.pack("!h", -1))  # end of data
