"""No file can hurt the portal (issue 13, defects 7-10): a reader that panics or asks for
terabytes, a file that kills its worker twice, files refused for the wrong reason, and a
file over the size limit read whole before it is refused.

tests/data/hostile/ holds two .xls files made by changing a few bytes of calamine's
tests/date.xls (MIT): reader_panic.xls makes python-calamine panic (a BaseException),
alloc_bomb.xls makes it ask for 296 GB (Rust aborts the process when that fails).
"""
import io
import json
import os
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from app.extensions import db
from app.importing import safe_read
from app.importing.detection import detect_format
from app.importing.faults import FileRejected
from app.importing.pipeline import _spool
from app.importing.readers import Table
from app.importing.safe_read import open_guarded
from app.models import ImportFile
from app.models.imports import ImportStatus
from app.models.tasks import BackgroundTask, TaskStatus
from app.queue import queue
from app.services.upload_store import CHUNK, TooLarge, spool_upload
from tests.factories import (
    MB,
    check_counts,
    counts,
    muara,
    refused,
    run_import,
    xlsx,
)

DATA = Path(__file__).parent / "data"
HOSTILE = DATA / "hostile"
REALWORLD = DATA / "realworld"
PASSWORD = "The workbook is password-protected: remove the password and upload it again."
CUSTOMERS = ["Customer Code", "Customer Name"]


def failed_with(out, reason, message):
    assert out["status"] == "failed"
    assert out["error"] == {"reason": reason, "message": message}
    assert (out["rows"], out["accepted"], out["rejected"]) == (0, 0, 0)


def stored_copy(tmp_path, source, name="upload"):
    """The file as the job sees it: a stored copy without its extension."""
    path = tmp_path / name
    shutil.copyfile(source, path)
    return str(path)


# --- 7. reader panics -------------------------------------------------------------------------

def test_a_reader_panic_on_a_damaged_xls_fails_the_import_and_wait_returns(app, runner, d1):
    _, out = run_import(runner, str(HOSTILE / "reader_panic.xls"), "customers", ok=False)
    failed_with(out, "corrupt_file", "The file is damaged: it could not be read as xls (slice "
                                     "index starts at 3328 but ends at 2432).")
    check_counts(app, out)
    with app.app_context():
        assert db.session.execute(select(BackgroundTask.status)).scalar() == TaskStatus.done


class FakePanic(BaseException):
    """What pyo3 raises when Rust code panics: not an Exception."""


def test_a_panic_while_rows_are_read_becomes_corrupt_file(tmp_path, monkeypatch):
    header = Table(["Customer Code"], 1, lambda: _panicking_records(), fmt="xlsx")
    monkeypatch.setattr(safe_read, "open_table", lambda *args: header)
    table = open_guarded(xlsx(tmp_path / "a.xlsx", [["Customer Code"], ["C1"]]), "xlsx")
    rows = table.rows()
    assert next(rows) == (2, ("C1",))
    with pytest.raises(FileRejected) as caught:
        next(rows)
    assert (caught.value.code, caught.value.message) == (
        "corrupt_file", "The file is damaged: it could not be read as xlsx (index out of range).")


def _panicking_records():
    yield 2, ["C1"]
    raise FakePanic("index out of range\nstack backtrace: ...")


def test_a_panic_that_escapes_the_readers_still_fails_the_import(app, runner, d1, tmp_path,
                                                                 monkeypatch):
    def panic(*args, **kwargs):
        raise FakePanic("somewhere else")
    monkeypatch.setattr("app.importing.tabular.open_guarded", panic)
    path = xlsx(tmp_path / "c.xlsx", [CUSTOMERS, ["C9", "Toko"]])
    _, out = run_import(runner, path, "customers", ok=False)  # --wait returned
    assert (out["status"], out["error"]["reason"]) == ("failed", "internal_error")
    with app.app_context():
        imp = db.session.execute(select(ImportFile)).scalar_one()
        assert (imp.status, imp.error_code) == (ImportStatus.failed, "internal_error")


# --- 8. allocation bombs, poison tasks ------------------------------------------------------

def test_an_allocation_bomb_xls_is_refused_and_the_worker_lives(app, runner, d1):
    _, out = run_import(runner, str(HOSTILE / "alloc_bomb.xls"), "customers", ok=False)
    failed_with(out, "too_large_when_read",
                "The file needs more memory than allowed when read: it may be damaged. Open it "
                "in Excel, save it as .xlsx and upload it again.")
    # This process ran the job (embedded queue) and is still here to import the next file.
    _, out = run_import(runner, str(REALWORLD / "calamine_date.xls"), "customers", "D1",
                        ok=False)
    assert out["error"]["reason"] == "missing_column"  # read: its header is not ours


def test_a_slow_read_is_stopped_by_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("app.importing.sandbox._CHILD", "import time; time.sleep(30)")
    limits = safe_read.ReadLimits(seconds=1)
    with pytest.raises(FileRejected) as caught:
        open_guarded(stored_copy(tmp_path, REALWORLD / "calamine_date.xls"), "xls", limits=limits)
    assert caught.value.code == "too_large_when_read"
    assert caught.value.message.startswith("The file took more than 1 seconds when read")


def test_a_file_whose_worker_died_twice_is_not_requeued_a_third_time(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "c.xlsx", [CUSTOMERS, ["C9", "Toko"]])
    result = muara(runner, "import", path, "--module", "customers", "--org", "D1")  # no --wait
    import_id = json.loads(result.stdout)["import_id"]
    with app.app_context():
        queue().rq.empty()
        task = db.session.execute(select(BackgroundTask)).scalar_one()
        task.status, task.attempts = TaskStatus.running, 2  # claimed twice, died twice
        db.session.get(ImportFile, import_id).status = ImportStatus.processing
        db.session.commit()
        assert queue().requeue_lost(grace_seconds=0) == []
        db.session.expire_all()
        imp = db.session.get(ImportFile, import_id)
        assert (imp.status, imp.error_code, imp.error_message) == (
            ImportStatus.failed, "reader_stopped",
            "The file stopped the reader twice; it may be damaged.")
        assert db.session.get(BackgroundTask, task.id).status == TaskStatus.failed


def test_a_file_whose_worker_died_once_is_requeued(app, runner, d1, tmp_path):
    path = xlsx(tmp_path / "c.xlsx", [CUSTOMERS, ["C9", "Toko"]])
    import_id = json.loads(muara(runner, "import", path, "--module", "customers", "--org",
                                 "D1").stdout)["import_id"]
    with app.app_context():
        queue().rq.empty()
        task = db.session.execute(select(BackgroundTask)).scalar_one()
        task.status, task.attempts = TaskStatus.running, 1
        db.session.commit()
        assert queue().requeue_lost(grace_seconds=0) == [task.id]
        assert db.session.get(ImportFile, import_id).status != ImportStatus.failed


# --- 9. the right reasons --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["calamine_pass_protected.ods", "calamine_pass_protected.xlsx"])
def test_password_protected_workbooks_are_named_so(app, runner, d1, tmp_path, name):
    # The job reads a stored copy without the extension: calamine must still be told.
    source = stored_copy(tmp_path, REALWORLD / name, "locked")
    _, out = run_import(runner, source, "customers", ok=False)
    failed_with(out, "password_protected", PASSWORD)


def relocated_xlsx(path, rows, folder="book/"):
    """A valid .xlsx whose parts are not under xl/ (as strict ISO writers name them)."""
    plain = io.BytesIO()
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(plain)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            name, data = info.filename, zin.read(info.filename)
            if name.startswith("xl/"):
                name = folder + name[3:]
            if name.endswith(".rels") or name == "[Content_Types].xml":
                data = data.replace(b"/xl/", f"/{folder}".encode()).replace(
                    b'"xl/', f'"{folder}'.encode())
            zout.writestr(name, data)
    return str(path)


def test_a_strict_iso_xlsx_without_xl_folder_is_read(app, runner, d1, tmp_path):
    path = relocated_xlsx(tmp_path / "strict.xlsx", [CUSTOMERS, ["C9", "Toko Sembilan"]])
    with zipfile.ZipFile(path) as zf:
        assert not any(name.startswith("xl/") for name in zf.namelist())
    assert detect_format(Path(path).read_bytes(), "strict") == "xlsx"
    _, out = run_import(runner, path, "customers")
    assert (out["status"], out["accepted"]) == ("archived", 1)


def test_a_strict_iso_xlsx_the_reader_cannot_open_is_named(tmp_path, monkeypatch):
    def cannot(*args):
        raise FileRejected("corrupt_file", "The file could not be read as xlsx: no workbook.")
    monkeypatch.setattr(safe_read, "open_table", cannot)
    path = relocated_xlsx(tmp_path / "strict.xlsx", [CUSTOMERS])
    with pytest.raises(FileRejected) as caught:
        open_guarded(path, "xlsx")
    assert caught.value.code == "unsupported_format"
    assert "strict ISO part names (its parts are not under xl/)" in caught.value.message


def test_excel_4_and_older_are_unsupported_with_advice(app, runner, d1):
    _, out = run_import(runner, str(REALWORLD / "xlrd_biff4_no_format_no_window2.xls"),
                        "customers", ok=False)
    failed_with(out, "unsupported_format",
                "The file is an Excel 4.0 file: open it in Excel and save it as .xlsx.")


@pytest.mark.parametrize("bof, what", [(b"\x09\x00\x04\x00\x02\x00\x10\x00", "Excel 2.x"),
                                       (b"\x09\x02\x06\x00\x00\x00\x10\x00", "Excel 3.0")])
def test_older_excel_versions_are_named(bof, what):
    with pytest.raises(FileRejected) as caught:
        detect_format(bof + bytes(100), "old.xls")
    assert (caught.value.code, caught.value.message) == (
        "unsupported_format", f"The file is an {what} file: open it in Excel and save it as .xlsx.")


# --- 10. size before memory --------------------------------------------------------------------

def test_muara_import_refuses_a_big_file_without_reading_it(app, runner, d1, tmp_path,
                                                            monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1 * MB)
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.truncate(40 * MB)  # sparse: 40 MB to read, none on disk
    tracemalloc.start()
    try:
        result, _ = run_import(runner, str(path), ok=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    refused(result, "the file is 40 MB; the limit is 1 MB")
    assert peak < 5 * MB, f"{peak / MB:.1f} MB allocated to refuse it"
    assert counts(app)["imports"] == 0


class Pipe(io.RawIOBase):
    """A stream that cannot seek (a socket): only what is read is known."""

    def __init__(self, size):
        self.left, self.given = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        self.given += n
        return n


def test_a_stream_is_refused_as_soon_as_it_passes_the_limit():
    pipe = Pipe(100 * MB)
    with pytest.raises(TooLarge) as caught:
        spool_upload(io.BufferedReader(pipe, CHUNK), 3 * MB)
    assert caught.value.size is None
    assert pipe.given <= 3 * MB + 2 * CHUNK  # stopped near the limit, not at 100 MB


def test_a_stream_over_the_limit_is_refused_with_a_message(app, ctx, d1, monkeypatch):
    from app.errors import MuaraError
    from app.models import Organization
    from app.services.imports import create_import
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1 * MB)
    org = db.session.execute(select(Organization).where(Organization.code == "D1")).scalar_one()
    with pytest.raises(MuaraError, match=r"^the file is over 1 MB; the limit is 1 MB$"):
        create_import(org, "customers", "x.csv", io.BufferedReader(Pipe(5 * MB)))


def test_an_upload_is_stored_in_chunks_and_read_back_whole(app, ctx, d1, tmp_path):
    from app.models import Organization
    from app.services.imports import create_import
    org = db.session.execute(select(Organization).where(Organization.code == "D1")).scalar_one()
    content = b"Customer Code,Customer Name\n" + os.urandom(20 * MB).hex().encode()[:20 * MB]
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    tracemalloc.start()
    try:
        with open(path, "rb") as handle:
            imp = create_import(org, "customers", "c.csv", handle)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * CHUNK, f"{peak / MB:.1f} MB allocated to store a 20 MB file"
    assert imp.size == len(content)
    spooled = _spool(db.session, imp.id)
    try:
        assert Path(spooled).read_bytes() == content
    finally:
        os.unlink(spooled)

