"""The compact in-file duplicate check: the first row of each key, never a false duplicate."""
import datetime as dt
import random
from decimal import Decimal

from app.importing import seen_keys
from app.importing.seen_keys import SeenKeys


def replay(seen, keys):
    """Feed keys as rows 2, 3, ... and compare each answer with a plain dict's."""
    first = {}
    for row, key in enumerate(keys, start=2):
        expected = first.setdefault(key, row)
        assert seen.first_row(key, row) == (None if expected == row else expected), (key, row)
    return first


def test_names_the_first_row_of_each_repeated_key_while_growing():
    rng = random.Random(7)
    keys = [f"INV-{rng.randrange(3000):06}" for _ in range(20_000)]
    seen = SeenKeys()  # starts small: grows many times on the way
    first = replay(seen, keys)
    assert len(seen) == len(first)


def test_a_hash_collision_is_confirmed_against_the_real_key(monkeypatch):
    monkeypatch.setattr(seen_keys, "hash", lambda text: 42, raising=False)  # every key collides
    keys = [f"K{n % 700}" for n in range(6000)]  # several key blocks, many repeats
    replay(SeenKeys(), keys)


def test_tuple_keys_compare_as_values():
    keys = [("a", 1), ("a", "1"), ("a\x1fb", "c"), ("a", "b\x1fc"), ("C1", dt.date(2025, 1, 2)),
            ("a", 1), ("C1", dt.date(2025, 1, 2)), ("C1", dt.date(2025, 1, 3))]
    replay(SeenKeys(), keys)
    seen = SeenKeys()
    assert seen.first_row(("P", Decimal("1.0")), 2) is None
    assert seen.first_row(("P", Decimal("1.00")), 3) == 2  # equal numbers, equal keys


def test_clear_forgets_every_key():
    seen = SeenKeys(10)
    assert seen.first_row("A", 2) is None
    seen.clear()
    assert len(seen) == 0
    assert seen.first_row("A", 5) is None
    assert seen.first_row("A", 6) == 5


def test_keys_past_the_memory_limit_go_to_disk_and_still_name_the_first_row():
    rng = random.Random(11)
    keys = [f"INV-{rng.randrange(900):06}" for _ in range(5000)]
    seen = SeenKeys(memory_keys=300)
    first = replay(seen, keys)  # repeats within memory, within disk, and across the two
    assert len(seen) == len(first) > 800
    assert seen._count == 300 and seen._on_disk == len(first) - 300


def test_tuple_keys_on_disk_compare_as_values():
    seen = SeenKeys(memory_keys=1)
    assert seen.first_row(("P", Decimal("1.0")), 2) is None  # in memory
    assert seen.first_row(("P", Decimal("2.0")), 3) is None  # on disk
    assert seen.first_row(("P", Decimal("2.00")), 4) == 3
    assert seen.first_row(("P", Decimal("1.00")), 5) == 2


def test_clear_and_close_drop_the_keys_on_disk():
    seen = SeenKeys(memory_keys=2)
    for row, key in enumerate("ABCD", start=2):
        seen.first_row(key, row)
    disk = seen._disk
    assert disk is not None and len(seen) == 4
    seen.clear()
    assert seen._disk is None and len(seen) == 0
    try:
        disk.execute("SELECT 1")
        raise AssertionError("the temporary database is still open")
    except Exception as exc:  # sqlite3.ProgrammingError: Cannot operate on a closed database
        assert "closed" in str(exc)
    assert seen.first_row("D", 9) is None  # forgotten, and memory is used again
