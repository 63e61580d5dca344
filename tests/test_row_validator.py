"""RowValidator.validate as the import rules see it: records, rejections in field order,
defaults, lookups and duplicates (the generated source itself: test_validation_codegen)."""
import datetime as dt
from decimal import Decimal

from app.importing.modules import MODULES
from app.importing.validation import LineSpec, RowValidator, TemplateSpec, default_template

HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
          "Location Code"]
LOOKUPS = {"customer": {"C1": 11, "100": 12}, "location": {"JKT": 21}}


def invoices(template=None, multi_location=True):
    module = MODULES["open_invoices"]
    return RowValidator(module, template or default_template(module), HEADER, LOOKUPS,
                        multi_location)


def reasons(result):
    record, problems = result
    assert record is None
    return [(p.field, p.reason, p.value) for p in problems]


def test_text_cells_are_trimmed_and_codes_looked_up():
    record, problems = invoices().validate(2, ("  INV-1 ", " C1", "2025-01-31", "10.5", "PO",
                                               "JKT "))
    assert problems == ()
    assert record == ["INV-1", "C1", dt.date(2025, 1, 31), Decimal("10.5"), "PO", "JKT", 11, 21]


def test_a_date_cell_is_taken_as_it_is():
    record, _ = invoices().validate(2, ("INV-1", "C1", dt.date(2025, 2, 1), 5, "PO", "JKT"))
    assert record[2] == dt.date(2025, 2, 1) and record[3] == Decimal(5)


def test_every_problem_of_a_row_is_reported_in_field_order():
    result = invoices().validate(7, ("X" * 21, "C9", "31/12/2025", "1.2345", "  ", "XX"))
    assert reasons(result) == [
        ("reference", "too_long", "X" * 21), ("customer", "unknown_customer", "C9"),
        ("invoice_date", "invalid_date", "31/12/2025"),
        ("balance", "too_many_decimals", "1.2345"), ("customer_po", "required", None),
        ("location", "unknown_location", "XX")]
    assert result[1][0].row == 7 and result[1][0].column == "Invoice #"


def test_numbers_outside_the_plain_form_take_the_converter():
    validate = invoices().validate
    assert validate(2, ("I1", "C1", "2025-01-01", " 1 000.5 ", "PO", "JKT"))[0][3] == \
        Decimal("1000.5")
    assert reasons(validate(3, ("I2", "C1", "2025-01-01", "abc", "PO", "JKT"))) == [
        ("balance", "invalid_number", "abc")]
    assert reasons(validate(4, ("I3", "C1", "2025-01-01", "1" * 16, "PO", "JKT"))) == [
        ("balance", "too_large", "1" * 16)]


def test_a_missing_location_is_required_only_for_a_multi_location_company():
    row = ("INV-1", "C1", "2025-01-31", "10", "PO", None)
    assert reasons(invoices().validate(2, row)) == [("location", "required", None)]
    record, problems = invoices(multi_location=False).validate(2, row)
    assert problems == () and record[5] is None and record[7] is None


def test_the_later_duplicate_names_the_first_row():
    validate = invoices().validate
    assert validate(2, ("INV-1", "C1", "2025-01-31", "10", "PO", "JKT"))[1] == ()
    result = validate(5, ("INV-1", "C1", "2025-01-31", "10", "PO", "JKT"))
    assert reasons(result) == [("reference", "duplicate_in_file", "INV-1")]
    assert "first on row 2" in result[1][0].message


def test_an_unmapped_field_takes_the_templates_default_and_its_lookup():
    module = MODULES["open_invoices"]
    lines = [LineSpec(field=f.name, source_column=f.header) for f in module.fields
             if f.name != "location"]
    lines.append(LineSpec(field="location", default_value="JKT"))
    validator = RowValidator(module, TemplateSpec("open_invoices", lines), HEADER[:5],
                             LOOKUPS, True)
    record, problems = validator.validate(2, ("INV-1", "C1", "2025-01-31", "10", "PO"))
    assert problems == () and record[5] == "JKT" and record[7] == 21


def test_a_positive_amount_keeps_its_message_for_zero_and_negatives():
    module = MODULES["open_credits"]
    header = [f.header for f in module.fields]
    validator = RowValidator(module, default_template(module), header,
                             {"customer": {"C1": 11}}, False)
    assert validator.validate(2, ("C1", "2025-01-31", "CR-1", "5.25"))[0][3] == Decimal("5.25")
    assert reasons(validator.validate(3, ("C1", "2025-01-31", "CR-2", "0"))) == [
        ("amount", "not_positive", "0")]
    assert reasons(validator.validate(4, ("C1", "2025-01-31", "CR-3", "-1"))) == [
        ("amount", "not_positive", "-1")]
