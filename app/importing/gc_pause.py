"""Pause Python's cyclic garbage collector while an import walks its rows.

Every row allocates a few tracked containers (the row's tuple, the record's list, the
database tuple), so the collector runs every few hundred rows and, now and then, walks
every object of the process, the whole app included. The import makes no reference
cycles, so those collections free nothing: pausing them saved about 15% of a
1,000,000-row import's time (bench/bench_import.py). Reference counting still frees
every row as soon as it is written.

The collector is per process and a web process may run imports in threads, so pauses
are counted: it is enabled again when the last running import ends, and only if it
was enabled before the first one began.
"""
import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
