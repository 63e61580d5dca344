"""Read a spreadsheet in a child process that may die: the portal lives whatever the file.

The binary formats (.xls) have no size written down to check before parsing (a zip
directory gives xlsx/ods one; `check_zip_safety`). A damaged .xls can make the reader
ask for terabytes (Rust aborts the whole process when that fails) or panic. So the
sheet is read by a child process with an address-space limit (RLIMIT_AS) and a time
limit; it writes the table's rows to a spool file, and the parent streams them from
there. A child that dies, overruns or panics becomes one `FileRejected`, never a dead
worker.

Only plain values cross the boundary: the child pickles the cells calamine gave it
(str, numbers, dates, None) and the Table's own attributes; nothing from the file is
ever code.
"""
from __future__ import annotations

import json
import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import weakref
from dataclasses import dataclass

from app.importing.faults import FileRejected
from app.importing.readers import Table
from app.importing.xlsx_styles import NO_FORMATS, CellFormats

MB = 1024 * 1024
CHUNK_ROWS = 5000
# The interpreter, python-calamine and their libraries map about 100 MB before reading.
BASE_ADDRESS_SPACE = 256 * MB
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The child needs app.importing only: `app` is made a bare package so its __init__ (the
# Flask app factory, 0.2 s of imports) is not run for every file read.
_CHILD = ("import sys, types; app = types.ModuleType('app'); app.__path__ = [sys.argv[2]]; "
          "sys.modules['app'] = app; "
          "from app.importing.sandbox import child_main; child_main()")


@dataclass(frozen=True)
class ReadLimits:
    """What reading one sheet may cost: bytes of memory the sheet may take, seconds."""
    memory_bytes: int = 1024 * MB
    seconds: float = 300.0


def too_large(what: str) -> FileRejected:
    return FileRejected("too_large_when_read",
                        f"The file {what} when read: it may be damaged. Open it in Excel, "
                        "save it as .xlsx and upload it again.")


def damaged(fmt: str, why: str) -> FileRejected:
    return FileRejected("corrupt_file", f"The file is damaged: it could not be read as {fmt} "
                                        f"({why}).")


def open_table_in_child(path: str, fmt: str, sheet: str | int | None = None, header_row: int = 1,
                        limits: ReadLimits = ReadLimits()) -> Table:
    """`readers.open_table` run in a limited child process; the rows come back through a
    spool file that is removed when the returned Table is."""
    handle, spool = tempfile.mkstemp(prefix="muara-rows-")
    os.close(handle)
    request = {"path": path, "fmt": fmt, "sheet": sheet, "header_row": header_row,
               "spool": spool, "address_space": limits.memory_bytes + BASE_ADDRESS_SPACE,
               "cpu_seconds": max(1, int(limits.seconds))}
    try:
        outcome = _run_child(request, limits.seconds)
        if "rejected" in outcome:
            raise FileRejected(*outcome["rejected"])
        table = _table_from_spool(spool)
    except BaseException:
        os.unlink(spool)
        raise
    weakref.finalize(table, _remove, spool)
    return table


def _run_child(request, seconds):
    env = dict(os.environ, PYTHONPATH=_PROJECT_ROOT, RUST_BACKTRACE="0")
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(request),
                               os.path.join(_PROJECT_ROOT, "app")],
                              capture_output=True, timeout=seconds + 5, env=env, check=False,
                              cwd=_PROJECT_ROOT)
    except subprocess.TimeoutExpired:
        raise too_large(f"took more than {seconds:g} seconds") from None
    err = done.stderr.decode("utf-8", "replace")
    if done.returncode == 0:
        try:
            return json.loads(done.stdout)
        except ValueError:
            raise damaged(request["fmt"], "the reader gave no answer") from None
    # Rust aborts (SIGABRT) when an allocation fails; the CPU limit sends SIGXCPU/SIGKILL.
    if "memory allocation" in err or "MemoryError" in err:
        raise too_large("needs more memory than allowed")
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise too_large(f"took more than {request['cpu_seconds']} seconds")
    raise damaged(request["fmt"], f"the reader stopped, exit status {done.returncode}")


def _table_from_spool(spool):
    with open(spool, "rb") as fh:
        attributes = pickle.load(fh)
        start = fh.tell()
    table = Table.__new__(Table)
    table.__dict__.update(attributes)

    def records():
        with open(spool, "rb") as fh:
            fh.seek(start)
            while True:
                try:
                    chunk = pickle.load(fh)
                except EOFError:
                    return
                yield from chunk

    table._records = records
    table._cell_formats = no_cell_formats  # number formats are read from xlsx styles only
    return table


def no_cell_formats() -> CellFormats:
    return NO_FORMATS


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# --- the child ---------------------------------------------------------------------------

def child_main() -> None:
    """Entry point of the child process: limit itself, read, spool, answer in JSON."""
    request = json.loads(sys.argv[1])
    _lower_limit(resource.RLIMIT_AS, request["address_space"])
    _lower_limit(resource.RLIMIT_CPU, request["cpu_seconds"])
    from app.importing.readers import open_table
    try:
        table = open_table(request["path"], request["fmt"], sheet=request["sheet"],
                           header_row=request["header_row"])
        _spool_table(table, request["spool"])
        answer = {"ok": True}
    except FileRejected as fault:
        answer = {"rejected": [fault.code, fault.message]}
    except MemoryError:
        fault = too_large("needs more memory than allowed")
        answer = {"rejected": [fault.code, fault.message]}
    except BaseException as exc:  # noqa: BLE001  a reader panic (pyo3) included
        fault = damaged(request["fmt"], first_line(exc))
        answer = {"rejected": [fault.code, fault.message]}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


def _lower_limit(kind, wanted):
    """Set a soft limit, never above the hard limit this process was given."""
    _soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(kind, (wanted, hard))


def _spool_table(table, spool):
    # The row source and the cell-format reader are closures over the child's workbook.
    attributes = {k: v for k, v in vars(table).items()
                  if k not in ("_records", "_cell_formats")}
    with open(spool, "wb") as fh:
        pickle.dump(attributes, fh, protocol=pickle.HIGHEST_PROTOCOL)
        chunk = []
        for record in table._records():
            chunk.append(record)
            if len(chunk) >= CHUNK_ROWS:
                pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
                chunk = []
        if chunk:
            pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
