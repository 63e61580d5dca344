"""The stored bytes of an upload (issue 14): streamed into import_blob chunk by chunk and
spooled back whole, the same bytes, on the test database (SQLite: incremental blob I/O;
PostgreSQL: one binary COPY row)."""
import hashlib
import io
import os

from sqlalchemy import func, select

import app.importing.pipeline as pipeline
import app.services.upload_store as upload_store
from app.extensions import db
from app.models import ImportBlob, ImportFile
from app.services.upload_store import spool_upload, write_blob


def test_an_upload_is_stored_in_chunks_and_read_back_the_same(app, ctx, d1, monkeypatch):
    monkeypatch.setattr(upload_store, "CHUNK", 4096)  # many chunks in both directions
    monkeypatch.setattr(pipeline, "SPOOL_CHUNK", 5000)
    content = os.urandom(3 * 4096 + 123) + b"\x00\xff\\x\n\r\t"  # every awkward byte
    upload = spool_upload(io.BytesIO(content), limit=1 << 20)
    imp = ImportFile(organization_id=d1,
                     module="open_invoices", filename="bytes.csv", size=upload.size,
                     sha256=upload.sha256)
    db.session.add(imp)
    db.session.flush()
    write_blob(db.session, imp.id, upload)
    db.session.commit()
    upload.discard()
    assert db.session.scalar(select(func.length(ImportBlob.content))
                             .where(ImportBlob.import_id == imp.id)) == len(content)
    path = pipeline._spool(db.session, imp.id)
    try:
        with open(path, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == \
                hashlib.sha256(content).hexdigest()
    finally:
        os.unlink(path)

