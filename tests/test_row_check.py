"""The file a child import reads (issue 19, fix rejected rows): written as the file's
template reads it, so the job sees exactly the values the grid checked."""
from types import SimpleNamespace

import pytest

from app.importing.faults import FileRejected
from app.importing.readers import open_table
from app.importing.row_check import fixed_rows_file
from app.importing.sheets import sheet_argument

HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO"]
ROWS = [["INV-1", "C001", "2025-01-31", "10.50", "=1+1"],
        ["INV-2", "Café", "31/01/2025", "1.234,5", ""]]


def template(**attributes):
    values = dict(name="Mine", file_format=None, header_row=1, encoding=None, sheet=None)
    values.update(attributes)
    return SimpleNamespace(**values)


@pytest.mark.parametrize("attributes, extension", [
    ({}, "csv"),
    ({"file_format": "csv", "encoding": "cp1252", "header_row": 3}, "csv"),
    ({"file_format": "xlsx"}, "xlsx"),
    ({"file_format": "xlsx", "sheet": "Data", "header_row": 2}, "xlsx"),
    ({"file_format": "xlsx", "sheet": "#2"}, "xlsx"),
])
def test_the_fixed_rows_read_back_as_they_were_typed(tmp_path, attributes, extension):
    chosen = template(**attributes)
    written_as, content = fixed_rows_file(chosen, HEADER, ROWS)
    assert written_as == extension
    path = tmp_path / f"fixed.{extension}"
    path.write_bytes(content)
    table = open_table(str(path), extension, sheet=sheet_argument(chosen.sheet),
                       header_row=chosen.header_row, encoding=chosen.encoding)
    assert table.header == HEADER
    read = [(number, [None if v is None else str(v) for v in values])
            for number, values in table.rows()]
    first = chosen.header_row + 1
    assert read == [(first, ROWS[0]), (first + 1, ROWS[1][:4] + [None])]


def test_a_format_that_cannot_be_written_is_refused_with_its_reason():
    with pytest.raises(FileRejected) as refused:
        fixed_rows_file(template(file_format="xls"), HEADER, ROWS)
    assert "reads XLS files only" in refused.value.message


def test_a_value_the_templates_encoding_cannot_hold_is_refused():
    with pytest.raises(FileRejected) as refused:
        fixed_rows_file(template(encoding="cp1252"), HEADER, [["INV-1", "Gāyatri", "", "", ""]])
    assert refused.value.code == "bad_encoding" and "'ā'" in refused.value.message
