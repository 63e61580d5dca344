"""The job's work for customer returns: every return of the file planned and written,
its messages logged, batch by batch (app.importing.batches)."""
import json

from sqlalchemy.orm import Session

from app.importing.batches import Batch, Settings
from app.importing.before_images import return_tree, same_tree
from app.importing.faults import FileRejected
from app.importing.modules import Module
from app.importing.returns.elements import ERROR, WARNING
from app.importing.returns.planner import ReturnsImport
from app.importing.returns.reading import open_returns
from app.models import ImportFile
from app.models.imports import ImportStatus
from app.models.tasks import utcnow

RETURNS_PER_BATCH = 1000  # each return is several ORM objects: smaller batches


def _chunks(returns, size):
    """[(position, node)] lists of `size` returns (the last one shorter)."""
    chunk = []
    for item in returns:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _log_rows(imp, position, lines, document=None):
    """The import log's rows for a return's messages (the position is the log's row, the
    return's number its document)."""
    return [{"import_id": imp.id, "organization_id": imp.organization_id, "module": imp.module,
             "row": position, "document": document, "column": path[:100],
             "field": (field or "")[:60] or None,
             "value": None if value is None else str(value)[:1000], "reason": reason,
             "message": message, "original": None, "resolved": severity != ERROR,
             "severity": severity}
            for severity, path, field, value, reason, message in lines]


def check_xml_head(path: str) -> None:
    with open(path, "rb") as handle:
        head = handle.read(4096)
    text = head.lstrip(b"\xef\xbb\xbf")
    if not text.strip():
        raise FileRejected("empty_file", "The file is empty.")
    utf16 = text[:2] in (b"\xff\xfe", b"\xfe\xff")
    if not utf16 and not text.lstrip().startswith(b"<"):
        raise FileRejected("wrong_format", "Customer Returns are imported from XML files "
                                           "(the semiramis CustomerReturn format); this "
                                           "file is not XML.")


def _file_warnings(returns_file):
    lines = [(WARNING, f"semiramis/{w.name}", w.name, None, "unknown_element",
              f"Unknown element <{w.name}> (line {w.line}) ignored: it is not a "
              "CustomerReturn.") for w in returns_file.warnings]
    if returns_file.skipped_warnings:
        lines.append((WARNING, "semiramis", None, None, "unknown_element",
                      f"{returns_file.skipped_warnings} more unknown top-level elements "
                      "ignored."))
    if not returns_file.count:
        lines.append((WARNING, "semiramis", None, None, "no_returns",
                      "The file holds no CustomerReturn."))
    return lines


def _check(session, importer, position, node, counts):
    """Check only: the return planned and applied inside a savepoint that is rolled back
    (nothing stays, the number ranges included); counted as an import would change it.
    Its messages are logged as an import logs them."""
    savepoint = session.begin_nested()
    try:
        log = importer.process(position, node, check=True)
        if not log.errors:
            if importer.stored is None:
                counts["would_create"] += 1
            else:
                session.flush()
                after = return_tree(session, importer.stored.id)
                counts["unchanged" if same_tree(importer.before_tree, after)
                       else "would_update"] += 1
    finally:
        savepoint.rollback()
        # What the check created is gone with the savepoint: no later return finds it.
        importer.created_guids.clear()
        importer.created_numbers.clear()
    return log


def import_returns(session: Session, imp: ImportFile, module: Module, path: str,
                   settings: Settings) -> None:
    """The runner of the returns_xml kind: each return planned, then written whole or not
    at all; a batch commits its returns with their messages and the file's counters."""
    check_xml_head(path)
    returns_file = open_returns(path)
    imp.rows_total = returns_file.count
    imp.header_json = None
    import_id = imp.id
    # Returns are written as they are planned, outside the batch: not replayable.
    batch = Batch(session, imp, settings, replayable=False)
    batch.log(_log_rows(imp, None, _file_warnings(returns_file)))
    batch.commit()
    importer = ReturnsImport(session, imp)
    size = max(1, min(settings.batch_size, RETURNS_PER_BATCH))
    counts = {"would_create": 0, "would_update": 0, "unchanged": 0}
    for chunk in _chunks(returns_file.returns(), size):
        with session.no_autoflush:
            importer.prefetch([node for _, node in chunk])
            for position, node in chunk:
                log = (_check(session, importer, position, node, counts) if imp.dry_run
                       else importer.process(position, node))
                messages = _log_rows(imp, position, log.lines, log.document)
                if log.errors:
                    batch.reject(messages)
                else:
                    batch.accept()
                    batch.log(messages)
        importer.write_new()  # the batch's new returns, one INSERT per table
        batch.commit()
        importer.batch_done()
        session.expunge_all()  # bounded memory: nothing of the batch stays loaded
    batch.commit()
    imp = session.get(ImportFile, import_id)
    session.refresh(imp)
    if imp.dry_run:
        imp.check_json = json.dumps(counts)
        imp.status = ImportStatus.checked
        imp.finished_at = utcnow()
        session.commit()
        return
    imp.status = ImportStatus.needs_attention if imp.rejected else ImportStatus.archived
    imp.finished_at = utcnow()
    session.commit()
