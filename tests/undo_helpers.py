"""Building blocks of the undo tests: `muara undo --wait`, a file's state, an undo whose
worker dies half-way."""
import json

import pytest

from app.extensions import db
from app.models import ImportBeforeImage, ImportFile
from tests.factories import count, muara


def undo(runner, import_id, ok=True):
    """`muara undo IMPORT_ID --wait`: its JSON (ok), else the command's result."""
    result = muara(runner, "undo", str(import_id), "--wait")
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.stdout)
    return result


def status(app, import_id):
    with app.app_context():
        return db.session.get(ImportFile, import_id).status

def undo_dies_at_second_batch(app, monkeypatch, import_id):
    """Undo `import_id` in batches of 3, the worker dying at the second batch, then run
    the undo again: (the state the first run left, the before-images left, the result
    of the second run)."""
    from app.importing import undo as engine
    from app.services.undo import request_undo, undo_import
    monkeypatch.setitem(app.config, "IMPORT_BATCH_SIZE", 3)  # undone when the test ends
    real, calls = engine._undo_batch, []

    def dies_at_second_batch(*args):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(*args)
    monkeypatch.setattr(engine, "_undo_batch", dies_at_second_batch)
    with app.app_context():
        request_undo(db.session.get(ImportFile, import_id))
        with pytest.raises(SystemExit):
            undo_import(import_id)
        db.session.rollback()
        left = db.session.get(ImportFile, import_id).status
    images = count(app, ImportBeforeImage, import_id=import_id)
    monkeypatch.setattr(engine, "_undo_batch", real)
    with app.app_context():
        out = undo_import(import_id)
    return left, images, out
