"""The progress page's estimate counts data rows, not the header nor the last line end
(issue 17.10: "of about 300001 rows" for 300,000 rows)."""
from types import SimpleNamespace

import pytest

from app.importing.tabular import _estimate_rows, count_lines


@pytest.mark.parametrize("text, lines", [
    ("", 0), ("a\n", 1), ("a", 1), ("a\nb\n", 2), ("a\nb", 2), ("a\r\nb\r\n", 2)])
def test_lines_are_counted_as_a_person_counts_them(tmp_path, text, lines):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    assert count_lines(path) == lines


def test_a_csv_of_300000_rows_is_estimated_at_300000(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"Code,Name\n" + b"C1,N\n" * 300_000)
    table = SimpleNamespace(last_row=None, header_row=1)
    assert _estimate_rows(path, table) == 300_000
    path.write_bytes(b"Code,Name\n" + b"C1,N\n" * 299_999 + b"C1,N")
    assert _estimate_rows(path, table) == 300_000
    # A header on the third line (two title lines above it).
    path.write_bytes(b"Title\n\nCode,Name\n" + b"C1,N\n" * 10)
    assert _estimate_rows(path, SimpleNamespace(last_row=None, header_row=3)) == 10
