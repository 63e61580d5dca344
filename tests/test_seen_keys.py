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
