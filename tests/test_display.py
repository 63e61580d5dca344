"""What list and show pages print: labels instead of internal names, blanks instead of
"None", Yes/No instead of True/False, timestamps to the second and whole numbers without
".0". Exports keep the raw values (their own tests)."""
import datetime as dt
import html as html_module
import re
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import ImportFile, Integration, MapperTemplate, SalesOrder, TemplateField
from app.models.templates import RejectionPolicy
from tests.conftest import login
from tests.consolidation_helpers import import_file, order_file, sync_all
from tests.factories import GOOD_INVOICES, invoice_file, make_distributor, run_import

STAMP = dt.datetime(2026, 12, 1, 1, 10, 29, 728181)


def text(fragment):
    """The text of an HTML fragment, tags dropped and spaces collapsed."""
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def show_values(response):
    """label -> value of a show page's table (the first row of each label)."""
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    values = {}
    for label, value in re.findall(r"<th[^>]*>(.*?)</th>\s*<td>(.*?)</td>", page, re.S):
        values.setdefault(text(label), text(value))
    return values


def list_rows(response):
    """The data rows of a list page's table: their cells' text, the action cell dropped."""
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    table = re.search(r'<table class="table table-bordered table-hover">(.*?)</table>', page,
                      re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells:
            rows.append(cells[1:])
    return rows


def list_header(response):
    page = response.get_data(as_text=True)
    table = re.search(r'<table class="table table-bordered table-hover">(.*?)</table>', page,
                      re.S).group(1)
    return [text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)][1:]


@pytest.fixture
def admin(app, client, world):
    make_distributor(app)
    world.user("admin", "Admin")
    return login(client, "admin")


def template_id(app, module="open_invoices"):
    with app.app_context():
        return db.session.execute(select(MapperTemplate.id).where(
            MapperTemplate.module == module)).scalar_one()


# --- the value formatter ----------------------------------------------------------------

def test_shown_reads_like_a_person_would_and_leaves_other_values_alone():
    from app.views.display import shown
    assert shown(None) == ""
    assert shown(False) == "No" and shown(True) == "Yes"
    assert shown(STAMP) == "2026-12-01 08:10:29 WIB"
    assert shown(50.0) == "50" and shown(20.125) == "20.125"
    assert shown(Decimal("150000.500")) == "150,000.5"
    assert shown(dt.datetime(2026, 1, 5)) == "2026-01-05", "a date kept in a timestamp"
    assert shown(dt.date(2026, 11, 5)) == "2026-11-05"
    assert shown(0) == 0 and shown("x") == "x"


def test_times_are_local_with_their_zone_and_codes_are_words(app, monkeypatch):
    from app.views.display import clock_time, shown, when, words
    with app.app_context():
        assert when(dt.datetime(2026, 1, 5, 20, 30, 1, 999)) == "2026-01-06 03:30:01 WIB"
        assert clock_time("22:00") == "22:00 WIB" and clock_time(None) == ""
        monkeypatch.setitem(app.config, "TIME_ZONE", "Asia/Makassar")
        assert shown(dt.datetime(2026, 1, 5, 20, 30, 1)) == "2026-01-06 04:30:01 WITA"
    assert words("stock_opname") == "Stock opname" and words("file") == "Imported file"
    assert words("transfer_schedule") == "Transfer sync time"


# --- mapper templates -------------------------------------------------------------------

def test_a_template_shows_its_module_label_format_sheet_and_policy_in_words(app, admin):
    response = admin.get(f"/templateview/show/{template_id(app)}")
    values = show_values(response)
    assert values["Module"] == "Open Invoices"
    assert values["File Format"] == "any (detected)"
    assert values["Sheet"] == "first visible sheet"
    assert values["On rejections"] == "Accept valid rows"
    # Its field lines, listed under it.
    lines = [dict(zip(list_header(response), cells, strict=True)) for cells in list_rows(response)]
    assert [line["Field"] for line in lines] == ["Invoice #", "Customer Code", "Invoice Date",
                                                 "Invoice Balance", "Customer PO",
                                                 "Location Code"]
    assert {line["Default Value"] for line in lines} == {""}


def test_the_template_list_reads_the_same(app, admin):
    response = admin.get("/templateview/list/?_flt_0_module=open_invoices")
    header = list_header(response)
    row = dict(zip(header, list_rows(response)[0], strict=True))
    assert row["Module"] == "Open Invoices"
    assert row["File Format"] == "any (detected)"
    assert row["Sheet"] == "first visible sheet"
    assert row["On rejections"] == "Accept valid rows"


def test_all_or_nothing_and_a_named_format_and_sheet_are_shown_as_set(app, admin):
    with app.app_context():
        db.session.execute(update(MapperTemplate).where(MapperTemplate.id == template_id(app))
                           .values(policy=RejectionPolicy.all_or_nothing, file_format="csv",
                                   sheet="Data"))
        db.session.commit()
    values = show_values(admin.get(f"/templateview/show/{template_id(app)}"))
    assert values["File Format"] == "csv"
    assert values["Sheet"] == "Data"
    assert values["On rejections"] == "All or nothing"


def test_a_field_line_shows_the_fields_header_and_blanks(app, admin):
    with app.app_context():
        line_id = db.session.execute(select(TemplateField.id).where(
            TemplateField.template_id == template_id(app),
            TemplateField.field == "customer_po")).scalar_one()
    values = show_values(admin.get(f"/templatefieldview/show/{line_id}"))
    assert values["Field"] == "Customer PO"
    assert values["Required"] == "Yes" and values["Trim"] == "Yes"
    assert values["Template"] == "Default Open Invoices"
    for label in ("Default Value", "Case (upper/lower)", "Date formats (e.g. %Y-%m-%d, %d/%m/%Y)",
                  "Decimal Separator", "Thousands Separator", "Value map (e.g. Y=true; N=false)"):
        assert values[label] == "", label


def test_the_field_lines_under_a_template_show_headers_and_blanks(app, admin):
    response = admin.get(f"/templatefieldview/list/?_flt_0_template={template_id(app)}")
    header = list_header(response)
    rows = [dict(zip(header, cells, strict=True)) for cells in list_rows(response)]
    po = next(row for row in rows if row["Field"] == "Customer PO")
    assert po["Default Value"] == "" and po["Value map (e.g. Y=true; N=false)"] == ""
    assert po["Required"] == "Yes"
    location = next(row for row in rows if row["Field"] == "Location Code")
    assert location["Required"] == "No"  # required only for multi-location companies
    assert [row["Field"] for row in rows][:2] == ["Invoice #", "Customer Code"]
    # The same module field name has another header in another module: the line's own.
    products = template_id(app, "products")
    response = admin.get(f"/templatefieldview/list/?_flt_0_template={products}")
    assert "Product Code" in [dict(zip(list_header(response), cells, strict=True))["Field"]
                              for cells in list_rows(response)]


# --- files, records, integrations -------------------------------------------------------

def test_a_file_shows_blank_reason_no_forced_its_template_name_and_seconds(app, runner,
                                                                          admin, tmp_path):
    _, data = run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    with app.app_context():
        db.session.execute(update(ImportFile).where(ImportFile.id == data["import_id"])
                           .values(uploaded_at=STAMP))
        db.session.commit()
    values = show_values(admin.get(f"/imports/show/{data['import_id']}"))
    assert values["Reason"] == ""
    assert values["Forced"] == "No"
    assert values["Template"] == "Default Open Invoices"
    assert values["Uploaded At"] == "2026-12-01 08:10:29 WIB"
    response = admin.get("/imports/list/")
    row = dict(zip(list_header(response), list_rows(response)[0], strict=True))
    assert row["Uploaded At"] == "2026-12-01 08:10:29 WIB"


def test_a_consolidated_order_shows_when_to_the_second(app, runner, admin, tmp_path):
    import_file(runner, order_file(tmp_path, [["SO-1", "2025-02-01", "C001", "P001", 2, 10,
                                               None]]), "sales_orders", "D1", "--principal",
                "P1")
    sync_all(runner, "P1")
    with app.app_context():
        order = db.session.execute(select(SalesOrder)).scalar_one()
        order.consolidated_at = STAMP
        db.session.commit()
        order_id = order.id
    values = show_values(admin.get(f"/salesorderview/show/{order_id}"))
    assert values["Consolidated at"] == "2026-12-01 08:10:29 WIB"


def test_an_integration_without_a_sync_time_shows_it_blank(app, admin):
    with app.app_context():
        integration = db.session.execute(select(Integration)).scalar_one()
        assert integration.sync_time is None
        integration_id = integration.id
    values = show_values(admin.get(f"/integrationview/show/{integration_id}"))
    assert values["Scheduled sync time"] == ""
    assert values["Active"] == "Yes"


def test_a_rejections_original_row_shows_whole_numbers_without_a_decimal_point(
        app, runner, admin, tmp_path):
    rows = [["INV-3", "C999", "2025-01-31", 50, "PO-3", None]]
    _, data = run_import(runner, invoice_file(tmp_path, rows))
    assert data["rejected"] == 1
    response = admin.get("/rejections/list/")
    rejection = re.search(r"/rejections/show/(\d+)", response.get_data(as_text=True)).group(1)
    page = admin.get(f"/rejections/show/{rejection}").get_data(as_text=True)
    original = re.search(r'<table[^>]*id="original-row">(.*?)</table>', page, re.S).group(1)
    cells = [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", original, re.S)]
    assert cells == ["INV-3", "C999", "2025-01-31", "50", "PO-3", ""]


def test_choices_show_as_words(app, client, world):
    from app.models import Integration
    from app.models.integrations import SyncMode
    make_distributor(app)
    world.user("root", "Admin")
    with app.app_context():
        row = db.session.execute(select(Integration)).scalar()
        row.sync_mode = SyncMode.shift_closing
        db.session.commit()
        integration_id = row.id
    login(client, "root")
    page = " ".join(client.get(f"/integrationview/show/{integration_id}")
                    .get_data(as_text=True).split())
    assert "External (files and API push)" in page
    assert "Synchronize on register shift closing" in page
    listing = " ".join(client.get("/organizationview/list/").get_data(as_text=True).split())
    assert "<td>Distributor</td>" in listing and "<td>Principal</td>" in listing
