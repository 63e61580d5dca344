"""Searching the list screens through FAB's filter query arguments, after a real login:
Open Invoices by Customer PO and Invoice Date (INV-1), the Rejection log by module,
reason and column (IMP-8), each tenant seeing only its own rows.

The filter indexes (`_flt_<index>_<column>`) are read from the search widget the list page
renders, so the tests use exactly what the screen offers.
"""
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ImportRejection, OpenInvoice
from app.services.directory import get_org
from app.services.templates import create_default_template
from tests.conftest import login, row_ids
from tests.factories import (
    CREDIT_HEADER,
    drain,
    html,
    invoice_file,
    invoice_xlsx,
    make_distributor,
    run_import,
    upload,
    uploaded_id,
)


def filter_index(page, column, label):
    """The index of filter `label` ("Equal to", ...) of `column` in the list page's search
    widget (FAB's AdminFilters: labels, input widgets, then the filter names per column)."""
    lines = page[page.index("new AdminFilters("):].splitlines()
    labels, _, operations = (json.loads(line.strip().rstrip(",")) for line in lines[2:5])
    assert column in labels, f"{column} is not searchable: {sorted(labels)}"
    return operations[column].index(label)


def search_page(client, view, **filters):
    """The list page of `view` with one filter per column: {column: (label, value)}."""
    page = html(client.get(f"/{view}/list/"))
    args = [(f"_flt_{filter_index(page, column, label)}_{column}", value)
            for column, (label, value) in filters.items()]
    response = client.get(f"/{view}/list/", query_string=args)
    assert response.status_code == 200
    return html(response)


def search(client, view, **filters):
    """The ids of the rows the filtered list of `view` shows."""
    return row_ids(search_page(client, view, **filters), view)


# --- Open Invoices (INV-1: searchable by Customer PO and Invoice Date) -----------------------

INVOICES = [
    ["INV-1", "C001", "2025-01-31", 10, "PO-100", None],
    ["INV-2", "C002", "2025-01-31", 20, "PO-200", None],
    ["INV-3", "C001", "2025-02-01", 30, "PO-100", None],
    ["INV-4", "C002", "2025-02-01", 40, "PO-1000", None],
    ["INV-5", "C001", "2025-02-02", 50, "XPO-100", None],
]


@pytest.fixture
def invoices(app, runner, world, tmp_path):
    """D1's five invoices above, and D2's INV-9 with the same PO and date as INV-1."""
    make_distributor(app)
    make_distributor(app, code="D2")
    _, out = run_import(runner, invoice_file(tmp_path, INVOICES))
    assert (out["status"], out["accepted"]) == ("archived", 5)
    _, out = run_import(runner, invoice_file(tmp_path, [
        ["INV-9", "C001", "2025-01-31", 9, "PO-100", None]], name="d2.xlsx"), "open_invoices",
        "D2")
    assert (out["status"], out["accepted"]) == ("archived", 1)
    world.user("imp1", "Importer", "D1")
    with app.app_context():
        return {(inv.organization.code, inv.reference): inv.id
                for inv in db.session.execute(select(OpenInvoice)).scalars()}


def ids(invoices, *references, org="D1"):
    return sorted(invoices[(org, ref)] for ref in references)


def test_open_invoices_searched_by_customer_po(app, client, invoices):
    login(client, "imp1")
    assert search(client, "openinvoiceview") == ids(invoices, *"INV-1 INV-2 INV-3 INV-4 INV-5"
                                                    .split())
    assert search(client, "openinvoiceview", customer_po=("Equal to", "PO-100")) == \
        ids(invoices, "INV-1", "INV-3")
    assert search(client, "openinvoiceview", customer_po=("Starts with", "PO-100")) == \
        ids(invoices, "INV-1", "INV-3", "INV-4")
    assert search(client, "openinvoiceview", customer_po=("Contains", "PO-100")) == \
        ids(invoices, "INV-1", "INV-3", "INV-4", "INV-5")
    assert search(client, "openinvoiceview", customer_po=("Equal to", "PO-999")) == []


def test_open_invoices_searched_by_invoice_date(app, client, invoices):
    login(client, "imp1")
    assert search(client, "openinvoiceview", invoice_date=("Equal to", "2025-01-31")) == \
        ids(invoices, "INV-1", "INV-2")
    assert search(client, "openinvoiceview", invoice_date=("Equal to", "2025-02-01")) == \
        ids(invoices, "INV-3", "INV-4")
    assert search(client, "openinvoiceview", invoice_date=("Greater than", "2025-01-31")) == \
        ids(invoices, "INV-3", "INV-4", "INV-5")
    assert search(client, "openinvoiceview", invoice_date=("Equal to", "2024-12-31")) == []


def test_open_invoices_searched_by_customer_po_and_invoice_date_together(app, client, invoices):
    login(client, "imp1")
    assert search(client, "openinvoiceview", customer_po=("Equal to", "PO-100"),
                  invoice_date=("Equal to", "2025-02-01")) == ids(invoices, "INV-3")
    page = search_page(client, "openinvoiceview", customer_po=("Equal to", "PO-100"))
    assert "INV-1" in page and "INV-3" in page
    assert "INV-4" not in page and "INV-9" not in page  # not another PO, not D2's


def test_admin_search_spans_distributors(app, client, world, invoices):
    world.user("root", "Admin")
    login(client, "root")
    assert search(client, "openinvoiceview", customer_po=("Equal to", "PO-100"),
                  invoice_date=("Equal to", "2025-01-31")) == \
        sorted(ids(invoices, "INV-1") + ids(invoices, "INV-9", org="D2"))


# --- Rejection log (IMP-8: filter by module, reason, column) --------------------------------

CREDITS = [
    ["C001", "2025-01-31", "CR-1", 10],   # row 2: accepted
    ["C404", "2025-01-31", "CR-2", 5],    # row 3: unknown_customer (Customer Code)
    ["C001", "2025-01-31", "CR-3", -5],   # row 4: not_positive (Amount)
    [None, "2025-01-31", "CR-4", 5],      # row 5: required (Customer Code)
]
A_INVOICES = [
    ["INV-10", "C001", "2025-01-31", 10, "PO-10", None],   # row 2: accepted
    ["INV-11", "C999", "2025-01-31", 11, "PO-11", None],   # row 3: unknown_customer
    ["INV-12", "C001", "2025-13-01", 12, "PO-12", None],   # row 4: invalid_date
]


@pytest.fixture
def logged(app, client, portal):
    """DIST-A's Importer uploaded an invoice file and a credit file, DIST-B's an invoice
    file with one unknown customer; every job ran. Rejection ids by (file, row)."""
    with app.app_context():
        create_default_template(get_org("DIST-A"), "open_credits")
        db.session.commit()
    login(client, "imp_a")
    a_inv = uploaded_id(upload(client, invoice_xlsx(A_INVOICES), filename="a.xlsx"))
    a_crd = uploaded_id(upload(client, invoice_xlsx(CREDITS, header=CREDIT_HEADER),
                               filename="credits.xlsx", module="open_credits"))
    login(client, "imp_b")
    b_inv = uploaded_id(upload(client, invoice_xlsx(
        [["INV-90", "C777", "2025-01-31", 1, "PO-90", None]]), filename="b.xlsx",
        principal="PRIN-Q", integration="Ext B"))
    drain(app)
    with app.app_context():
        rows = db.session.execute(select(ImportRejection)).scalars().all()
        found = {(r.import_id, r.row): (r.id, r.module, r.column, r.reason) for r in rows}
    names = {a_inv: "inv", a_crd: "crd", b_inv: "b"}
    by_name = {(names[file], row): value for (file, row), value in found.items()}
    # The jobs logged exactly the rejections the files were built to give.
    assert {key: value[1:] for key, value in by_name.items()} == {
        ("inv", 3): ("open_invoices", "Customer Code", "unknown_customer"),
        ("inv", 4): ("open_invoices", "Invoice Date", "invalid_date"),
        ("crd", 3): ("open_credits", "Customer Code", "unknown_customer"),
        ("crd", 4): ("open_credits", "Amount", "not_positive"),
        ("crd", 5): ("open_credits", "Customer Code", "required"),
        ("b", 2): ("open_invoices", "Customer Code", "unknown_customer"),
    }
    return {key: value[0] for key, value in by_name.items()}


def rejections(logged, *keys):
    return sorted(logged[key] for key in keys)


def test_supervisor_filters_the_rejection_log_by_module(app, client, logged):
    login(client, "sup_a")
    assert search(client, "rejections") == rejections(
        logged, ("inv", 3), ("inv", 4), ("crd", 3), ("crd", 4), ("crd", 5))
    assert search(client, "rejections", module=("Equal to", "open_credits")) == rejections(
        logged, ("crd", 3), ("crd", 4), ("crd", 5))
    assert search(client, "rejections", module=("Equal to", "open_invoices")) == rejections(
        logged, ("inv", 3), ("inv", 4))
    assert search(client, "rejections", module=("Equal to", "inventory_boxes")) == []


def test_supervisor_filters_the_rejection_log_by_reason(app, client, logged):
    login(client, "sup_a")
    assert search(client, "rejections", reason=("Equal to", "unknown_customer")) == \
        rejections(logged, ("inv", 3), ("crd", 3))
    assert search(client, "rejections", reason=("Equal to", "not_positive")) == \
        rejections(logged, ("crd", 4))
    assert search(client, "rejections", reason=("Equal to", "too_long")) == []
    page = search_page(client, "rejections", reason=("Equal to", "invalid_date"))
    assert row_ids(page, "rejections") == rejections(logged, ("inv", 4))
    assert ("Invoice Date &#39;2025-13-01&#39; is not a valid date in the format YYYY-MM-DD."
            in page)


def test_supervisor_filters_the_rejection_log_by_column(app, client, logged):
    login(client, "sup_a")
    assert search(client, "rejections", column=("Equal to", "Customer Code")) == rejections(
        logged, ("inv", 3), ("crd", 3), ("crd", 5))
    assert search(client, "rejections", column=("Equal to", "Amount")) == \
        rejections(logged, ("crd", 4))
    assert search(client, "rejections", column=("Equal to", "Invoice Date")) == \
        rejections(logged, ("inv", 4))


def test_rejection_log_filters_combine(app, client, logged):
    login(client, "sup_a")
    assert search(client, "rejections", module=("Equal to", "open_invoices"),
                  column=("Equal to", "Customer Code")) == rejections(logged, ("inv", 3))
    assert search(client, "rejections", module=("Equal to", "open_credits"),
                  reason=("Equal to", "unknown_customer"),
                  column=("Equal to", "Customer Code")) == rejections(logged, ("crd", 3))


def test_a_supervisor_of_another_organization_finds_none_of_them(app, client, logged):
    login(client, "sup_b")
    assert search(client, "rejections") == rejections(logged, ("b", 2))
    assert search(client, "rejections", module=("Equal to", "open_credits")) == []
    assert search(client, "rejections", module=("Equal to", "open_invoices")) == \
        rejections(logged, ("b", 2))
    assert search(client, "rejections", reason=("Equal to", "unknown_customer")) == \
        rejections(logged, ("b", 2))
    assert search(client, "rejections", reason=("Equal to", "not_positive")) == []
    assert search(client, "rejections", column=("Equal to", "Customer Code")) == \
        rejections(logged, ("b", 2))
    assert search(client, "rejections", column=("Equal to", "Amount")) == []
    page = html(client.get("/rejections/list/"))
    for foreign in ("C404", "C999", "2025-13-01"):
        assert foreign not in page


# --- What the filters offer ----------------------------------------------------------------

def filter_choices(client, view, column):
    """The choices `column`'s filter on `view`'s list offers: the search widget names the
    field's search-as-you-type endpoint (issue 14), which gives them page by page."""
    page = html(client.get(f"/{view}/list/"))
    url = f"/{view}/choices/search/{column}"
    assert url in page, f"{column}'s filter does not look its choices up"
    texts, number, more = [], 1, True
    while more:
        answer = client.get(url, query_string={"page": number}).get_json()
        texts += [choice["text"] for choice in answer["results"]]
        more, number = answer["pagination"]["more"], number + 1
    return texts


def test_a_principal_filters_shared_invoices_by_the_customers_they_name(app, client, runner,
                                                                         world, tmp_path):
    """A principal sees no distributor's customer list, but its filter offers the
    customers and locations its shared invoices name, and no other tenant's."""
    make_distributor(app, customers=("C001", "C002", "C003"))  # D1, shared with P1
    make_distributor(app, code="D2", principal="P2")
    run_import(runner, invoice_file(tmp_path, [["INV-1", "C001", "2025-01-31", 1, "PO-1", "JKT"],
                                               ["INV-2", "C002", "2025-01-31", 2, "PO-2", None]]))
    run_import(runner, invoice_file(tmp_path, [["INV-9", "C003", "2025-01-31", 9, "PO-9", None]],
                                    name="d2.xlsx"), "open_invoices", "D2")
    world.user("prin1", "Principal", "P1")
    login(client, "prin1")
    assert filter_choices(client, "openinvoiceview", "customer") == [
        "C001 - C001 name", "C002 - C002 name"]
    assert filter_choices(client, "openinvoiceview", "location") == ["JKT - JKT warehouse"]
    # The Distributor filter names distributors only: never the principal itself.
    assert filter_choices(client, "openinvoiceview", "organization") == ["D1 - D1 name"]


def test_a_distributor_filters_consolidated_records_by_its_principals(app, client, world):
    make_distributor(app)  # D1, connected to P1
    make_distributor(app, code="D2", principal="P2")
    world.user("imp1", "Importer", "D1")
    login(client, "imp1")
    assert filter_choices(client, "salesorderview", "principal") == ["P1 - P1 name"]
    assert filter_choices(client, "salesorderview", "organization") == ["D1 - D1 name"]


def test_a_principals_distributor_filter_lists_its_distributors_not_itself(app, client,
                                                                           world):
    make_distributor(app)  # D1, connected to P1
    make_distributor(app, code="D2", principal="P1")
    make_distributor(app, code="D3", principal="P3")
    world.user("prin1", "Principal", "P1")
    login(client, "prin1")
    for view in ("salesorderview", "openinvoiceview", "salesinvoiceview"):
        assert filter_choices(client, view, "organization") == ["D1 - D1 name",
                                                               "D2 - D2 name"], view



def test_invoice_date_typed_as_shown_in_indonesian_or_as_iso(app, client, invoices):
    """05/11/2026 is 5 November (day first, as Muara shows dates), never 11 May."""
    login(client, "imp1")
    first_of_february = search(client, "openinvoiceview", invoice_date=("Equal to", "2025-02-01"))
    assert first_of_february == ids(invoices, "INV-3", "INV-4")
    assert search(client, "openinvoiceview",
                  invoice_date=("Equal to", "01/02/2025")) == first_of_february
    assert search(client, "openinvoiceview", invoice_date=("Greater than", "31/01/2025")) == \
        search(client, "openinvoiceview", invoice_date=("Greater than", "2025-01-31"))
