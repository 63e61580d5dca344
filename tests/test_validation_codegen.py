"""The generated per-row validator (RowValidator.validate, generate_validate): every row of a
file with planted problems gets exactly the record or the rejections the rules say, in
field order; the unusual cells and template options go through the converters unchanged.

No database: the validator is built as the import job builds it, from a CSV read by the
real reader.
"""
import csv
import datetime as dt
from decimal import Decimal

from app.importing.modules import MODULES
from app.importing.readers import open_table
from app.importing.validation import Rejection, RowValidator, default_template

INVOICES = MODULES["open_invoices"]
HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
          "Location Code"]
CUSTOMERS = {f"C{n:04}": n for n in range(1, 1001)}
LOCATIONS = {"JKT": 1, "SBY": 2}
ROWS = 20_000
KINDS = 13  # row i plants problem kind i % KINDS (0: none)


def validator(template=None, multi_location=True, header=HEADER, customers=CUSTOMERS):
    return RowValidator(INVOICES, template or default_template(INVOICES), header,
                        {"customer": customers, "location": LOCATIONS}, multi_location,
                        expected_rows=ROWS)


def template_with(**lines):
    template = default_template(INVOICES)
    for line in template.lines:
        for name, value in lines.get(line.field, {}).items():
            setattr(line, name, value)
    return template


def rejection(row, column, field, value, reason, message):
    return Rejection(row, column, field, value, reason, message)


def bad_date(row, value, formats="YYYY-MM-DD"):
    return rejection(row, "Invoice Date", "invoice_date", value, "invalid_date",
                     f"Invoice Date '{value}' is not a valid date in the format {formats}.")


def bad_balance(row, value, reason, message):
    return rejection(row, "Invoice Balance", "balance", value, reason, message)


def not_a_number(row, value):
    return bad_balance(row, value, "invalid_number", f"Invoice Balance '{value}' is not a number.")


def four_decimals(row, value):
    return bad_balance(row, value, "too_many_decimals",
                       f"Invoice Balance {value} has 4 decimals; at most 3 are allowed.")


def unknown(row, column, field, value, kind):
    return rejection(row, column, field, value, f"unknown_{kind}",
                     f"{kind.capitalize()} code '{value}' does not exist for this company.")


def planted_row(i):
    """(cells, expected record or None, expected rejections) of data row i (file row i+2)."""
    row = i + 2
    ref, customer, po = f"INV-{i:06}", f"C{i % 1000 + 1:04}", f"PO-{i}"
    date, balance = dt.date(2025, 1 + i % 12, 1 + i % 28), f"{i % 50_000}.{i % 100}"
    location = "JKT" if i % 2 else "SBY"
    cells = [ref, customer, date.isoformat(), balance, po, location]
    kind = i % KINDS
    if kind == 1:
        cells[2] = "2025-02-30"
        return cells, None, [bad_date(row, "2025-02-30")]
    if kind == 2:
        cells[2] = "31/12/2025"
        return cells, None, [bad_date(row, "31/12/2025")]
    if kind == 3:
        cells[3] = "12.5x"
        return cells, None, [not_a_number(row, "12.5x")]
    if kind == 4:
        cells[3] = "1.2345"
        return cells, None, [four_decimals(row, "1.2345")]
    if kind == 5:
        cells[1] = "C9999"
        return cells, None, [unknown(row, "Customer Code", "customer", "C9999", "customer")]
    if kind == 6:  # the invoice number of row i - 6, a row without problems
        cells[0] = f"INV-{i - 6:06}"
        return cells, None, [rejection(
            row, "Invoice #", "reference", cells[0], "duplicate_in_file",
            f"Invoice # '{cells[0]}' appears more than once in the file: "
            f"first on row {row - 6}; this row was not imported.")]
    if kind == 7:  # several problems: one rejection each, in the fields' order
        cells[1], cells[2], cells[3] = "", "2025-13-01", "abc"
        return cells, None, [rejection(row, "Customer Code", "customer", None, "required",
                                       "Customer Code is required."),
                             bad_date(row, "2025-13-01"), not_a_number(row, "abc")]
    if kind == 8:  # spaces around every value are trimmed, a padded date and number too
        cells = [f" {cell} " for cell in cells]
        cells[3], balance = " 7.5 ", "7.5"
    if kind == 9:  # four decimals that are zeros: the exact check accepts them as written
        cells[3] = balance = "1.2340"
    if kind == 10:
        cells[5] = "XXX"
        return cells, None, [unknown(row, "Location Code", "location", "XXX", "location")]
    if kind == 11:
        cells[5] = "  "
        return cells, None, [rejection(row, "Location Code", "location", None, "required",
                                       "Location Code is required for a multi-location "
                                       "company.")]
    if kind == 12:
        cells[0] = "R" * 21
        return cells, None, [rejection(row, "Invoice #", "reference", "R" * 21, "too_long",
                                       "Invoice # has 21 characters; at most 20 are allowed.")]
    record = [ref, customer, date, Decimal(balance), po, location,
              CUSTOMERS[customer], LOCATIONS[location]]
    return cells, record, ()


def test_every_row_of_a_file_with_planted_problems_as_the_rules_say(tmp_path):
    path = tmp_path / "invoices.csv"
    planted = [planted_row(i) for i in range(ROWS)]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(cells for cells, _, _ in planted)
    table = open_table(str(path), "csv")
    check = validator(header=table.header)
    results = [check.validate(number, values) for number, values in table.rows()]
    assert len(results) == ROWS
    for i, ((record, problems), (_, expected_record, expected_problems)) in \
            enumerate(zip(results, planted, strict=True)):
        assert (record, list(problems)) == (expected_record, list(expected_problems)), i
    accepted = sum(record is not None for record, _ in results)
    assert accepted == sum(i % KINDS in (0, 8, 9) for i in range(ROWS)) == 4615


def test_spreadsheet_cells_go_through_the_converters():
    check = validator(customers={"1001": 5, "C0001": 1})
    assert check.validate(2, ("INV-1", 1001.0, dt.date(2025, 2, 28), 1250.5, "PO", "JKT")) == \
        (["INV-1", "1001", dt.date(2025, 2, 28), Decimal("1250.5"), "PO", "JKT", 5, 1], ())
    datetime_cell = dt.datetime(2025, 3, 1, 17, 45)
    assert check.validate(3, ("INV-2", "C0001", datetime_cell, 3, "PO", "SBY")) == \
        (["INV-2", "C0001", dt.date(2025, 3, 1), Decimal(3), "PO", "SBY", 1, 2], ())
    assert check.validate(4, ("INV-3", "C0001", 45000.0, 1.0005, None, "JKT")) == (None, [
        bad_date(4, "45000"), four_decimals(4, "1.0005"),
        rejection(4, "Customer PO", "customer_po", None, "required", "Customer PO is required.")])
    big = "1234567890123456"
    assert check.validate(5, ("INV-4", "C0001", "2025-01-31", big, "PO", "JKT")) == (None, [
        bad_balance(5, big, "too_large", f"Invoice Balance {big} is too large: at most 15 "
                                         "digits before the decimal point.")])


def test_template_options_take_the_converters():
    template = template_with(invoice_date={"date_formats": "%d/%m/%Y"},
                             balance={"decimal_separator": ",", "thousands_separator": "."},
                             customer={"case": "upper"},
                             location={"default_value": "JKT"})
    check = validator(template)
    assert check.validate(2, ("INV-1", "c0001", "31/01/2025", "1.250,5", "PO", None)) == \
        (["INV-1", "C0001", dt.date(2025, 1, 31), Decimal("1250.5"), "PO", "JKT", 1, 1], ())
    assert check.validate(3, ("INV-2", "c0001", "2025-01-31", "12.5", "PO", "SBY")) == \
        (None, [bad_date(3, "2025-01-31", "DD/MM/YYYY")])


def test_an_unmapped_optional_field_is_none_and_its_id_too():
    check = validator(template_with(location={"source_column": None}), multi_location=False)
    assert check.validate(2, ("INV-1", "C0002", "2025-01-31", "-0.5", "PO", "JKT")) == \
        (["INV-1", "C0002", dt.date(2025, 1, 31), Decimal("-0.5"), "PO", None, 2, None], ())


def test_the_generated_source_reads_as_one_block_per_field_in_order():
    source = validator().validate.source
    positions = [source.index(f"# {name} (") for name in
                 ("reference", "customer", "invoice_date", "balance", "customer_po", "location")]
    assert positions == sorted(positions)
    assert "for " not in source  # straight-line: no loop over the fields per row


def test_header_text_never_becomes_source():
    header = ["Invoice\n#\nraise SystemExit", *HEADER[1:]]  # a header cell with line breaks
    check = validator(template_with(reference={"source_column": header[0]}), header=header)
    assert "SystemExit" not in check.validate.source
    assert check.validate(2, ("INV-1", "C0001", "2025-01-31", "1", "PO", "JKT"))[1] == ()
    assert check.validate(3, (" ", "C0001", "2025-01-31", "1", "PO", "JKT"))[1] == [
        rejection(3, header[0], "reference", None, "required", f"{header[0]} is required.")]
