"""Template files that prevent mistakes (issue 19.4): the downloaded file carries Excel's
data validation (drop-down code lists of the organization's master data on a hidden
sheet, whole-number, decimal, date, time and length rules, an input message with each
column's rules), and a file filled inside those rules imports without a rejection.

The values are generated from the rules read back from the downloaded workbook (what
Excel would let a user type), not from the module declarations, so a rule looser than
the import fails here.
"""
import datetime as dt
import io
import re
import time
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import column_index_from_string, get_column_letter
from sqlalchemy import insert, select

from app.extensions import db
from app.importing.modules import MODULES
from app.models import Customer, MapperTemplate, Organization
from tests.conftest import login
from tests.factories import make_distributor, run_import, set_line, set_template

LAST_ROW = 1_048_576
IMPORTED = ("customers", "products", "open_invoices", "open_credits", "inventory_boxes")


@pytest.fixture
def editor(app, client, world):
    make_distributor(app, customers=("C001", "C002", "007", "=HYPERLINK"),
                     locations=("JKT", "SBY"))
    make_distributor(app, code="D2", principal="P1", customers=("OTHER-1",),
                     locations=("MDN",), integration=None)
    world.user("ed", "Template Editor", "D1")
    login(client, "ed")
    return client


def download(client, module, **query):
    response = client.get(f"/template-files/{module}.xlsx", query_string=query)
    assert response.status_code == 200, response.status_code
    return response.data


def load(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def rules_by_column(ws, first_row=2):
    """{column letter: its DataValidation}, each rule covering one whole column."""
    found = {}
    for rule in ws.data_validations.dataValidation:
        (ref,) = str(rule.sqref).split()
        start, end = ref.split(":")
        letter = re.match(r"[A-Z]+", start)[0]
        assert (start, end) == (f"{letter}{first_row}", f"{letter}{LAST_ROW}")
        found[letter] = rule
    return found


def listed_codes(wb, formula):
    """The codes a list rule offers: the cells of its range on the hidden sheet."""
    match = re.fullmatch(r"'?(\w+)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula)
    assert match, formula
    sheet, first_col, first, last_col, last = match.groups()
    assert first_col == last_col
    ws = wb[sheet]
    col = column_index_from_string(first_col)
    return [ws.cell(row=r, column=col).value for r in range(int(first), int(last) + 1)]


# --- the rules in the workbook ---------------------------------------------------------

def test_open_invoices_template_has_each_columns_rule_and_the_notes(app, editor):
    wb = load(download(editor, "open_invoices"))
    assert [ws.title for ws in wb.worksheets] == ["Open Invoices", "Notes", "Lists"]
    assert wb["Lists"].sheet_state == "hidden"
    ws = wb["Open Invoices"]
    rules = rules_by_column(ws)
    assert sorted(rules) == ["A", "B", "C", "D", "E", "F"]
    # Invoice #: required text of at most 20 characters (INV-1), not only blanks
    assert rules["A"].type == "custom"
    assert rules["A"].formula1.startswith("AND(LEN(A2)<=20,")
    # Customer Code and Location Code: drop-downs of D1's codes, by range, not inline
    assert rules["B"].type == rules["F"].type == "list"
    assert not rules["B"].formula1.startswith('"')
    assert listed_codes(wb, rules["B"].formula1) == ["007", "=HYPERLINK", "C001", "C002"]
    assert listed_codes(wb, rules["F"].formula1) == ["JKT", "SBY"]
    assert wb["Lists"]["A3"].data_type == "s"  # a code that looks like a formula stays text
    # Invoice Date: a date; Invoice Balance: a number with at most 3 decimals
    assert (rules["C"].type, rules["C"].operator) == ("date", "between")
    assert rules["D"].type == "custom" and "ROUND(D2,3)=D2" in rules["D"].formula1
    assert "D2>0" not in rules["D"].formula1  # a balance may be negative
    assert rules["E"].formula1.startswith("AND(LEN(E2)<=20,")
    # an input message with the rules of the Notes sheet, and an error that stops
    notes = {row[0]: row[2] for row in wb["Notes"].iter_rows(min_row=2, values_only=True)}
    headers = [c.value for c in ws[1]]
    for letter, header in zip("ABCDEF", headers, strict=True):
        rule = rules[letter]
        assert (rule.promptTitle, rule.prompt) == (header, notes[header])
        assert rule.showInputMessage and rule.showErrorMessage and rule.errorStyle == "stop"
        assert rule.error == notes[header]
    assert ws.column_dimensions["C"].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions["A"].number_format == "@"


def test_inventory_rules_are_positive_whole_numbers_and_product_codes(app, editor):
    wb = load(download(editor, "inventory_boxes"))
    rules = rules_by_column(wb["Inventory in Boxes"])
    assert listed_codes(wb, rules["A"].formula1) == ["P001", "P002"]
    assert listed_codes(wb, rules["B"].formula1) == ["JKT", "SBY"]
    for letter in "CD":
        assert (rules[letter].type, rules[letter].formula1, rules[letter].formula2) == \
            ("whole", "1", "2147483647")
    assert rules["E"].type == "date"


def test_another_distributors_codes_are_not_offered_and_its_id_is_404(app, editor):
    with app.app_context():
        d2 = db.session.execute(select(Organization.id).where(Organization.code == "D2")).scalar()
    response = editor.get("/template-files/open_invoices.xlsx", query_string={"org": d2})
    assert response.status_code == 404


def test_a_template_without_codes_of_a_kind_has_no_list_for_it(app, client, world):
    make_distributor(app, customers=(), products=())
    world.user("ed", "Template Editor", "D1")
    login(client, "ed")
    wb = load(download(client, "open_credits"))
    rules = rules_by_column(wb["Open Credits"])
    # no customer yet: the code column keeps its length rule, the import names the code
    assert rules["A"].type == "custom" and "LEN(A2)<=40" in rules["A"].formula1
    assert "Lists" not in wb.sheetnames


def test_ten_thousand_customers_are_a_range_and_quick(app, editor):
    with app.app_context():
        org_id = db.session.execute(
            select(Organization.id).where(Organization.code == "D1")).scalar()
        db.session.execute(insert(Customer), [
            {"organization_id": org_id, "code": f"K{n:05d}", "name": f"Customer {n}",
             "balance": 0} for n in range(10_000)])
        db.session.commit()
    started = time.perf_counter()
    data = download(editor, "open_invoices")
    elapsed = time.perf_counter() - started
    wb = load(data)
    rules = rules_by_column(wb["Open Invoices"])
    assert rules["B"].formula1 == "'Lists'!$A$2:$A$10005"
    codes = listed_codes(wb, rules["B"].formula1)
    assert len(codes) == 10_004 and codes[-1] == "K09999"
    assert elapsed < 8, f"the download took {elapsed:.1f}s"  # about 1s on a quiet machine


def template_pk(app, org_code, module):
    with app.app_context():
        return db.session.execute(
            select(MapperTemplate.id).join(Organization).where(
                Organization.code == org_code, MapperTemplate.module == module)).scalar_one()


def test_a_mapper_templates_own_file_has_its_columns_sheet_and_rules(app, editor, runner,
                                                                      tmp_path):
    """Its header row, sheet and column names, a column read by letter at its letter."""
    set_template(app, "D1", "open_invoices", header_row=2, sheet="Faktur")
    set_line(app, "D1", "open_invoices", "reference", source_column="No Faktur")
    set_line(app, "D1", "open_invoices", "balance", source_column="G", source_kind="letter")
    pk = template_pk(app, "D1", "open_invoices")
    response = editor.get(f"/template-files/template/{pk}.xlsx")
    assert response.status_code == 200
    wb = load(response.data)
    ws = wb["Faktur"]
    assert [c.value for c in ws[2]] == ["No Faktur", "Customer Code", "Invoice Date",
                                        "Customer PO", "Location Code", "Column F (not read)",
                                        "Invoice Balance"]
    rules = rules_by_column(ws, first_row=3)
    assert listed_codes(wb, rules["B"].formula1) == ["007", "=HYPERLINK", "C001", "C002"]
    assert "ROUND(G3,3)=G3" in rules["G"].formula1
    assert "F" not in rules
    ws["A3"], ws["B3"], ws["C3"] = "INV-77", "C002", dt.date(2025, 3, 1)
    ws["D3"], ws["E3"], ws["G3"] = "PO-77", "SBY", 12.5
    out = io.BytesIO()
    wb.save(out)
    path = tmp_path / "faktur.xlsx"
    path.write_bytes(out.getvalue())
    _, result = run_import(runner, str(path), "open_invoices")
    assert (result["accepted"], result["rejections"]) == (1, [])


def test_another_organizations_template_file_is_404(app, editor):
    pk = template_pk(app, "D2", "open_invoices")
    assert editor.get(f"/template-files/template/{pk}.xlsx").status_code == 404


# --- values inside the rules import without a rejection ----------------------------------

# Characters of the Basic Multilingual Plane, which Excel's LEN counts as one each (as
# Python's len does); no control, separator or private-use characters, which nobody types.
TEXT_CHARS = st.characters(max_codepoint=0xFFFF,
                           blacklist_categories=("Cc", "Cs", "Cn", "Co", "Zl", "Zp", "Zs"))
WITH_SPACES = st.one_of(TEXT_CHARS, st.just(" "))


def _text_inside(max_length, required):
    """Texts Excel's rule accepts: at most `max_length` characters, and for a required
    column not only spaces; short ones and ones of exactly the maximum length."""
    full = st.text(alphabet=TEXT_CHARS, min_size=max_length, max_size=max_length)
    if not required:
        return st.one_of(st.text(alphabet=WITH_SPACES, max_size=max_length), full)
    visible = st.tuples(TEXT_CHARS, st.text(alphabet=WITH_SPACES, max_size=max_length - 1),
                        st.booleans()).map(lambda t: t[0] + t[1] if t[2] else t[1] + t[0])
    return st.one_of(visible, full)


def _decimal_inside(formula):
    places = int(re.search(r"ROUND\(\w+,(\d+)\)=", formula)[1])
    positive = re.search(r"\b[A-Z]+\d+>0", formula) is not None
    low = Decimal(1).scaleb(-places) if positive else Decimal("-999999999999999")
    numbers = st.decimals(min_value=low, max_value=Decimal("999999999999999"), places=places,
                          allow_nan=False, allow_infinity=False)
    edges = st.sampled_from([low, Decimal("999999999999999"), Decimal("99999999999999.9"),
                             Decimal("12345678901.234")])
    # what Excel stores for a typed number: 15 significant digits, as a double
    return st.one_of(numbers, edges).map(lambda d: float(format(d, ".15g"))).filter(
        lambda x: round(x, places) == x and abs(round(x)) < 1e15 and (x > 0 or not positive))


def strategy_for(wb, rule, required):
    if rule.type == "list":
        return st.sampled_from(listed_codes(wb, rule.formula1))
    if rule.type == "whole":
        return st.integers(int(rule.formula1), int(rule.formula2))
    if rule.type == "date":
        assert (rule.formula1, rule.formula2) == ("DATE(1900,1,1)", "DATE(9999,12,31)")
        return st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31))
    if rule.type == "time":
        return st.times()
    if rule.type == "textLength":
        assert rule.operator == "lessThanOrEqual"
        return _text_inside(int(rule.formula1), required=False)
    if rule.type == "custom" and "ISNUMBER" in rule.formula1:
        return _decimal_inside(rule.formula1)
    if rule.type == "custom" and "LEN(" in rule.formula1:
        return _text_inside(int(re.search(r"LEN\(\w+\)<=(\d+)", rule.formula1)[1]), required)
    raise AssertionError(f"a rule the test does not know: {rule.type} {rule.formula1}")


def row_strategy(wb, sheet):
    ws = wb[sheet]
    rules = rules_by_column(ws)
    required = {row[0]: row[1] == "Yes"
                for row in wb["Notes"].iter_rows(min_row=2, values_only=True)}
    columns = []
    for index, cell in enumerate(ws[1], 1):
        letter = get_column_letter(index)
        values = strategy_for(wb, rules[letter], required[cell.value])
        columns.append(values if required[cell.value] else st.one_of(st.none(), values))
    return st.tuples(*columns)


def fill(data, sheet, rows):
    """The downloaded file with the example row replaced by `rows`, as Excel saves it:
    a text stays text (the column is formatted as Text), a date is a date cell."""
    wb = load(data)
    ws = wb[sheet]
    ws.delete_rows(2)
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # typed into a Text column: never a formula
            elif isinstance(value, dt.time):
                cell.number_format = "hh:mm"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def key_of(module, row):
    positions = [i for i, f in enumerate(module.fields) if f.name in module.natural_key]
    return tuple(row[i].strip() if isinstance(row[i], str) else row[i] for i in positions)


@pytest.mark.parametrize("module_name", IMPORTED)
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(data=st.data())
def test_values_inside_the_rules_import_without_rejection(app, editor, runner, tmp_path,
                                                         module_name, data):
    module = MODULES[module_name]
    template = download(editor, module_name)
    rows = data.draw(st.lists(row_strategy(load(template), module.label), min_size=1,
                              max_size=15, unique_by=lambda row: key_of(module, row)))
    path = tmp_path / f"{module_name}.xlsx"
    path.write_bytes(fill(template, module.label, rows))
    _, out = run_import(runner, str(path), module_name)
    assert out["rejections"] == [], rows
    assert (out["rows"], out["accepted"]) == (len(rows), len(rows))
