"""The in-file duplicate check (IMP-6) in about 50 bytes a key instead of ~130, and on
disk past a million keys.

A dict of every natural key of a 1,000,000-row file costs ~130 MB (a str object, an int
object and a dict entry per row) and was most of a streamed CSV's memory. Here a key
costs two slots of an open-addressing table of 64-bit hashes and row numbers (arrays,
no object per key) and its text, kept in blocks of joined text with one offset each.

A hash hit is confirmed against the real key, so a collision never rejects a good row,
and the row given back is the FIRST row that had the key.
"""
import sqlite3
from array import array
from decimal import Decimal
from itertools import accumulate
from typing import Any

_EMPTY = 0  # no key hashes to 0 here: see _hash
_BLOCK = 4096  # key texts joined per block
_PRESIZE_LIMIT = 2_000_000  # a larger file grows the table as it goes


def key_text(key: Any) -> str:
    """The key as text, equal exactly when the keys are equal."""
    if isinstance(key, str):
        return key
    if isinstance(key, tuple):
        # repr tells '1' from 1 and keeps a separator inside a part unambiguous; a Decimal
        # is normalised first, as Decimal("1.0") == Decimal("1.00").
        return repr(tuple(part.normalize() if isinstance(part, Decimal) else part
                          for part in key))
    return repr(key.normalize() if isinstance(key, Decimal) else key)


class SeenKeys:
    """`first_row(key, row)`: the row where `key` was first seen, or None (and `row` is
    remembered as its first).

    Up to `memory_keys` keys are held in memory (~50 bytes each); the keys after those go
    to a private temporary SQLite database on disk, so a file of any size keeps its
    memory bounded (its page cache: `disk_cache_kb`). The in-memory keys are still
    checked first."""

    def __init__(self, capacity: int = 0, memory_keys: int = 1_000_000,
                 disk_cache_kb: int = 8192):
        self.memory_keys = memory_keys
        self.disk_cache_kb = disk_cache_kb
        self._disk = None
        self._clear(capacity)

    def _clear(self, capacity):
        size = 8
        while size * 2 < min(capacity, _PRESIZE_LIMIT, self.memory_keys) * 3:  # <= 2/3 full
            size *= 2
        self._mask = size - 1
        self._hashes = array("q", bytes(8 * size))
        self._slots = array("q", bytes(8 * size))  # row number << 32 | key ordinal
        self._count = 0
        self._blocks = []   # (joined texts, end offset of each) of the full blocks
        self._current = []  # texts of the block being filled
        self._on_disk = 0
        self.close()

    def clear(self) -> None:
        self._clear(0)

    def close(self) -> None:
        """Drop the keys on disk (SQLite deletes its temporary database on close)."""
        if self._disk is not None:
            self._disk.close()
            self._disk = None

    def __del__(self):
        self.close()

    def __len__(self):
        return self._count + self._on_disk

    def first_row(self, key: Any, row: int) -> int | None:
        text = key if key.__class__ is str else key_text(key)
        wanted = hash(text) or 1
        index = wanted & self._mask
        hashes = self._hashes
        if hashes[index] != _EMPTY:  # the slot is taken: the key, or another one
            index = self._probe(text, wanted, index)
            if index < 0:
                return self._slots[-index - 1] >> 32
        if self._count >= self.memory_keys:
            return self._first_row_on_disk(text, row)
        ordinal = self._count
        hashes[index] = wanted
        self._slots[index] = (row << 32) | ordinal
        current = self._current
        current.append(text)
        if len(current) == _BLOCK:
            self._blocks.append(("".join(current), array("I", accumulate(map(len, current)))))
            current.clear()
        self._count = ordinal + 1
        if self._count * 3 > self._mask * 2:
            self._grow()
        return None

    def _first_row_on_disk(self, text, row):
        if self._disk is None:
            self._disk = sqlite3.connect("", isolation_level=None,  # "": a private temp file
                                         check_same_thread=False)  # closed by __del__ too
            self._disk.execute(f"PRAGMA cache_size=-{int(self.disk_cache_kb)}")
            self._disk.execute("PRAGMA journal_mode=OFF")
            self._disk.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER) "
                               "WITHOUT ROWID")
            self._disk.execute("BEGIN")  # one transaction: nothing here needs to survive
        if self._disk.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (text, row)).rowcount:
            self._on_disk += 1
            return None
        return self._disk.execute("SELECT row FROM seen WHERE key = ?", (text,)).fetchone()[0]

    def _probe(self, text, wanted, index):
        """-(slot + 1) of `text`, or the free slot where it goes.

        CPython's own probe sequence: every slot is reached, clusters are broken up."""
        hashes, slots, mask = self._hashes, self._slots, self._mask
        perturb = wanted & 0xFFFFFFFFFFFFFFFF
        while True:
            found = hashes[index]
            if found == _EMPTY:
                return index
            if found == wanted and self._text(slots[index] & 0xFFFFFFFF) == text:
                return -index - 1
            perturb >>= 5
            index = (index * 5 + perturb + 1) & mask

    def _text(self, ordinal):
        block, position = divmod(ordinal, _BLOCK)
        if block == len(self._blocks):
            return self._current[position]
        joined, ends = self._blocks[block]
        return joined[ends[position - 1] if position else 0:ends[position]]

    def _grow(self):
        old_hashes, old_slots = self._hashes, self._slots
        size = (self._mask + 1) * 2
        mask = size - 1
        hashes = array("q", bytes(8 * size))
        slots = array("q", bytes(8 * size))
        for wanted, slot in zip(old_hashes, old_slots, strict=True):
            if wanted == _EMPTY:
                continue
            perturb = wanted & 0xFFFFFFFFFFFFFFFF
            index = perturb & mask
            while hashes[index] != _EMPTY:
                perturb >>= 5
                index = (index * 5 + perturb + 1) & mask
            hashes[index] = wanted
            slots[index] = slot
        self._hashes, self._slots, self._mask = hashes, slots, mask
