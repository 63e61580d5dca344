"""The generated row validator's inline paths for spreadsheet cells (issue 15) give what
the field's converter gives: a date cell is its date, a float is the Decimal Excel shows,
and a float that needs the exact checks still gets them."""
import datetime as dt
from decimal import Decimal

import pytest

from app.importing.modules import declared
from app.importing.validation import RowValidator, default_template
from app.importing.values import Invalid

HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
          "Location Code"]


@pytest.fixture
def validator():
    module = declared("open_invoices")
    return RowValidator(module, default_template(module), HEADER,
                        {"customer": {"C1": 11}, "location": {"JKT": 7}}, True)


def row(balance, date=dt.date(2025, 1, 31), reference="INV-1"):
    return (reference, "C1", date, balance, "PO-1", "JKT")


@pytest.mark.parametrize("balance, expected", [
    (12.345, Decimal("12.345")), (0.1 + 0.2, Decimal("0.3")), (100.0, Decimal("100")),
    (-5.5, Decimal("-5.5")), (-0.0, Decimal("-0")), (123456789012345.0,
                                                     Decimal("123456789012345"))])
def test_a_float_balance_is_the_decimal_excel_shows(validator, balance, expected):
    record, problems = validator.validate(2, row(balance))
    assert problems == ()
    value = record[validator.layout["balance"]]
    assert value == expected and str(value) == str(expected)
    # the field's converter, the one definition of the rule, agrees
    assert validator.compiled("balance").convert(balance) == expected


@pytest.mark.parametrize("balance, reason", [
    (12.3456, "too_many_decimals"), (1e20, "too_large"), (float("nan"), "invalid_number"),
    (float("inf"), "invalid_number")])
def test_a_float_balance_that_needs_the_exact_checks_gets_them(validator, balance, reason):
    record, problems = validator.validate(2, row(balance))
    assert record is None
    assert [p.reason for p in problems] == [reason]
    with pytest.raises(Invalid):
        validator.compiled("balance").convert(balance)


def test_a_date_cell_is_its_date_and_a_datetime_cell_its_day(validator):
    record, _ = validator.validate(2, row(1.0, date=dt.date(2024, 2, 29)))
    assert record[validator.layout["invoice_date"]] == dt.date(2024, 2, 29)
    record, _ = validator.validate(3, row(1.0, dt.datetime(2024, 3, 1, 13, 5), "INV-2"))
    value = record[validator.layout["invoice_date"]]
    assert value == dt.date(2024, 3, 1) and value.__class__ is dt.date
