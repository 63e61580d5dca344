"""Pause Python's cyclic garbage collector while an import walks its rows, or while a
command builds its app.

Every row allocates a few tracked containers (the row's tuple, the record's list, the
database tuple), so the collector runs every few hundred rows and, now and then, walks
every object of the process, the whole app included. The import makes no reference
cycles, so those collections free nothing: pausing them saved about 15% of a
1,000,000-row import's time (bench/bench_import.py). Reference counting still frees
every row as soon as it is written.

The collector is per process and a web process may run imports in threads, so pauses
are counted: it is enabled again when the last running import ends, and only if it
was enabled before the first one began.

A command's app (`built_for_the_process`) makes about 170,000 objects that live until
the process ends (modules, classes, tables, mappers): the collector would walk them
again and again while they are made, at every full collection after, and in the
collections the interpreter runs as it exits. Made with the collector paused and then
frozen out of later collections (gc.freeze), they cost a 1 s `muara import` 0.3 s less
(0.08 s while the app is built, 0.2 s at exit; issue 15, start-up).
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


@contextlib.contextmanager
def built_for_the_process() -> Iterator[None]:
    """What is made inside lives as long as the process: made with the collector paused,
    then frozen out of its later collections. For a command's process only (a test
    process builds many apps and frees them)."""
    with collector_paused():
        yield
        gc.freeze()
