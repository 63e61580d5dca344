"""The import's pause of the cyclic garbage collector, and a command's app built for the
whole process (app/importing/gc_pause.py)."""
import gc
import threading

from app.importing.gc_pause import built_for_the_process, collector_paused


def test_the_collector_is_paused_inside_and_enabled_again_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_enables_it_again():
    try:
        with collector_paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()


def test_overlapping_imports_enable_it_when_the_last_one_ends():
    first_in, second_done = threading.Event(), threading.Event()
    seen = []

    def second():
        first_in.wait()
        with collector_paused():
            seen.append(gc.isenabled())
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with collector_paused():
        first_in.set()
        second_done.wait(5)
        seen.append(gc.isenabled())  # the other import ended; this one still runs
    thread.join()
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_command_builds_is_left_out_of_later_collections():
    try:
        with built_for_the_process():
            assert not gc.isenabled()
            built = [[n] for n in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= 1000
        assert not any(thing is built for thing in gc.get_objects())  # never walked again
    finally:
        gc.unfreeze()  # this test process goes on building apps
    assert any(thing is built for thing in gc.get_objects())
