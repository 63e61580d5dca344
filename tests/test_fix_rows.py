"""Fix rejected rows in the browser (issue 19 item 3, IMP-12): the grid of a file's
rejected rows, the check endpoint (the import's own validation), the child import of the
fixed rows, paging, and who may do it.

The `mixed` file (tests/conftest.py): row 2 accepted; row 3 rejected for its customer
code (a formula); row 4 for its customer code ("+1") and its date (2025-13-01)."""
import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ImportFile, ImportRejection
from app.models.imports import ImportStatus
from app.models.templates import RejectionPolicy
from app.services.fixes import PAGE_SIZE
from tests.conftest import denied, login
from tests.factories import (
    MIXED_ROWS,
    count,
    drain,
    html,
    invoice_xlsx,
    invoices,
    set_template,
    upload,
    uploaded_id,
)

ROW_3_FIXED = ["INV-11", "C002", "2025-01-31", "11", "PO-11", ""]
ROW_4_STILL_WRONG = ["INV-12", "C001", "2025-13-01", "12", "PO-12", ""]
ROW_4_FIXED = ["INV-12", "C001", "2025-12-01", "12", "PO-12", ""]


def post(client, url, rows):
    return client.post(url, data=json.dumps({"rows": rows}), content_type="application/json")


def check(client, pk, rows):
    return post(client, f"/fix-rows/{pk}/check", rows)


def import_rows(client, pk, rows):
    return post(client, f"/fix-rows/{pk}/import", rows)


def row(number, values):
    return {"row": number, "values": values}


def rejections(app, import_id):
    """(row, column, resolved, resolved_by_id) of the file's rejections."""
    with app.app_context():
        return sorted(db.session.execute(
            select(ImportRejection.row, ImportRejection.column, ImportRejection.resolved,
                   ImportRejection.resolved_by_id)
            .where(ImportRejection.import_id == import_id)).all())


def children(app, parent_id):
    with app.app_context():
        return db.session.execute(select(ImportFile).where(ImportFile.parent_id == parent_id)
                                  .order_by(ImportFile.id)).scalars().all()


@pytest.fixture
def sup(client, mixed):
    login(client, "sup_a")
    return mixed


def test_the_grid_shows_each_rejected_row_with_its_reasons_beside_the_cells(client, sup):
    response = client.get(f"/fix-rows/{sup.mixed}")
    assert response.status_code == 200
    page = html(response)
    rows = dict(re.findall(r'<tr data-row="(\d+)">(.*?)</tr>', page, re.S))
    assert sorted(rows) == ["3", "4"]  # the accepted row 2 is not there
    # The original columns, the faulty ones highlighted with the reason beside them.
    faulty_4 = re.findall(r'<td class="danger" data-col="(\d)">\s*<input[^>]*value="([^"]*)"'
                          r'.*?<small class="text-danger cell-reason">([^<]*)</small>',
                          rows["4"], re.S)
    assert [(col, value) for col, value, _ in faulty_4] == [("1", "+1"), ("2", "2025-13-01")]
    assert all(reason.strip() for _, _, reason in faulty_4)
    assert 'value="PO-12"' in rows["4"]
    assert '<td class="" data-col="0">' in rows["4"]  # INV-12 was fine
    assert "Import the fixed rows" in page


def test_the_rejection_log_of_a_file_offers_to_fix_it_in_the_browser(client, sup):
    log = html(client.get(f"/rejections/list/?_flt_0_import_file={sup.mixed}"))
    assert f'id="fix-in-browser" href="/fix-rows/{sup.mixed}"' in log
    assert 'id="fix-in-browser"' not in html(client.get("/rejections/list/"))
    with client.application.app_context():
        rejection = db.session.execute(select(ImportRejection.id).where(
            ImportRejection.import_id == sup.mixed)).scalars().first()
    assert f'href="/fix-rows/{sup.mixed}"' in html(client.get(f"/rejections/show/{rejection}"))
    login(client, "imp_a")  # the Importer sees the log but does not resolve
    log = html(client.get(f"/rejections/list/?_flt_0_import_file={sup.mixed}"))
    assert "/fix-rows/" not in log


def test_the_check_runs_the_imports_validation(client, sup):
    response = check(client, sup.mixed, [row(3, ROW_3_FIXED), row(4, ROW_4_STILL_WRONG)])
    assert response.status_code == 200
    fixed, wrong = response.get_json()["rows"]
    assert fixed == {"row": 3, "valid": True, "problems": []}
    assert wrong["row"] == 4 and wrong["valid"] is False
    assert [(p["column"], p["index"]) for p in wrong["problems"]] == [("Invoice Date", 2)]
    assert "2025-13-01" in wrong["problems"][0]["message"]
    # The master data of the file's organization: an unknown customer is refused.
    unknown = check(client, sup.mixed, [row(3, ["INV-11", "C999", "2025-01-31", "11", "PO", ""])])
    (problem,) = unknown.get_json()["rows"][0]["problems"]
    assert problem["column"] == "Customer Code" and "C999" in problem["message"]


def test_a_key_typed_twice_is_a_duplicate_as_in_a_file(client, sup):
    same_key = ["INV-11", "C001", "2025-01-31", "11", "PO", ""]
    answer = check(client, sup.mixed, [row(3, same_key), row(4, same_key)]).get_json()
    assert answer["rows"][0]["valid"] is True
    assert answer["rows"][1]["valid"] is False
    assert "first on row 3" in answer["rows"][1]["problems"][0]["message"]


@pytest.mark.parametrize("rows, message", [
    ([row(2, ROW_3_FIXED)], "Row 2 of import"),          # an accepted row: nothing to fix
    ([row(9, ROW_3_FIXED)], "Row 9 of import"),
    ([row(3, ROW_3_FIXED[:3])], "6 text values"),        # not as wide as the file
    ([row(3, [1, 2, 3, 4, 5, 6])], "6 text values"),
    ([row(3, ROW_3_FIXED), row(3, ROW_3_FIXED)], "sent twice"),
    ([], "No rows"),
])
def test_a_malformed_request_is_refused_with_its_reason(client, sup, rows, message):
    for url in (f"/fix-rows/{sup.mixed}/check", f"/fix-rows/{sup.mixed}/import"):
        response = post(client, url, rows)
        assert response.status_code == 400
        assert message in response.get_json()["error"]
    assert children(client.application, sup.mixed) == []


def test_fixed_rows_become_a_child_import_and_resolve_the_parents_rejections(
        app, client, sup):
    response = import_rows(client, sup.mixed, [row(3, ROW_3_FIXED), row(4, ROW_4_STILL_WRONG)])
    assert response.status_code == 200
    answer = response.get_json()
    (child,) = children(app, sup.mixed)
    assert answer["imported"] == [3]
    assert answer["child"] == {"id": child.id, "filename": "mixed_fixed.csv",
                               "url": f"/imports/show/{child.id}"}
    # The still-wrong row comes back with its reason and imports nothing.
    assert [(r["row"], r["valid"]) for r in answer["rows"]] == [(4, False)]
    assert "still wrong" in answer["message"]
    assert child.organization_id == sup.a and child.template_id is not None
    drain(app)
    with app.app_context():
        child = db.session.get(ImportFile, child.id)
        assert (child.status, child.rows_done, child.accepted, child.rejected) == (
            ImportStatus.archived, 1, 1, 0)
    imported = invoices(app, "DIST-A")
    assert imported["INV-11"][0] == "C002"
    assert "INV-12" not in imported
    assert rejections(app, sup.mixed) == [
        (3, "Customer Code", True, child.id),
        (4, "Customer Code", False, None), (4, "Invoice Date", False, None)]
    # The grid now holds only the row still to fix; the resolved row cannot be sent again.
    page = html(client.get(f"/fix-rows/{sup.mixed}"))
    assert re.findall(r'<tr data-row="(\d+)">', page) == ["4"]
    assert import_rows(client, sup.mixed, [row(3, ROW_3_FIXED)]).status_code == 400
    # The parent's page rolls the counts up and names the child; the child names it.
    parent_page = html(client.get(f"/imports/show/{sup.mixed}"))
    rolled = re.sub(r"\s+", " ", parent_page[parent_page.index('id="fixed-rows"'):])
    assert ("this file has <strong>2</strong> accepted rows (1 fixed) and "
            "<strong>1</strong> rejected row still to fix") in rolled
    assert f'href="/imports/show/{child.id}">#{child.id} mixed_fixed.csv</a>' in rolled
    assert 'id="fix-in-browser"' in parent_page
    child_page = html(client.get(f"/imports/show/{child.id}"))
    assert f'href="/imports/show/{sup.mixed}">import #{sup.mixed} (mixed.xlsx)</a>' in child_page
    # The resolved rejection names the import that resolved it.
    with app.app_context():
        resolved = db.session.execute(select(ImportRejection.id).where(
            ImportRejection.import_id == sup.mixed, ImportRejection.row == 3)).scalar()
    assert f"import #{child.id} (mixed_fixed.csv)" in html(
        client.get(f"/rejections/show/{resolved}"))


def test_when_every_row_is_fixed_nothing_is_left_to_fix(app, client, sup):
    answer = import_rows(client, sup.mixed, [row(3, ROW_3_FIXED), row(4, ROW_4_FIXED)]).get_json()
    assert answer["imported"] == [3, 4] and answer["rows"] == []
    drain(app)
    assert {"INV-10", "INV-11", "INV-12"} <= set(invoices(app, "DIST-A"))
    assert all(resolved for _, _, resolved, _ in rejections(app, sup.mixed))
    assert 'id="fix-nothing"' in html(client.get(f"/fix-rows/{sup.mixed}"))
    assert 'id="fix-in-browser"' not in html(client.get(f"/imports/show/{sup.mixed}"))


def test_rows_that_are_all_still_wrong_import_nothing(app, client, sup):
    answer = import_rows(client, sup.mixed, [row(4, ROW_4_STILL_WRONG)]).get_json()
    assert answer["child"] is None and answer["imported"] == []
    assert answer["message"].startswith("Nothing was imported: 1 row is still wrong")
    assert children(app, sup.mixed) == []
    assert count(app, ImportFile) == 1
    assert not any(resolved for _, _, resolved, _ in rejections(app, sup.mixed))


def test_a_large_file_pages_through_the_grid(app, client, portal):
    login(client, "imp_a")
    bad = [[f"INV-{n}", "C999", "2025-01-31", n, "PO", None] for n in range(150)]
    pk = uploaded_id(upload(client, invoice_xlsx(bad), filename="big.xlsx"))
    drain(app)
    login(client, "sup_a")
    first = html(client.get(f"/fix-rows/{pk}"))
    second = html(client.get(f"/fix-rows/{pk}?page=2"))
    numbers = [int(n) for n in re.findall(r'<tr data-row="(\d+)">', first)]
    assert numbers == list(range(2, 2 + PAGE_SIZE))
    assert [int(n) for n in re.findall(r'<tr data-row="(\d+)">', second)] == list(
        range(2 + PAGE_SIZE, 152))
    assert "page 2 of 2" in second and f'href="/fix-rows/{pk}?page=1"' in second
    too_many = [row(n, [f"INV-{n}", "C001", "2025-01-31", "1", "", ""]) for n in range(2, 103)]
    response = check(client, pk, too_many)
    assert response.status_code == 400 and "at most 100 rows" in response.get_json()["error"]


def test_another_organizations_file_is_not_found(client, mixed):
    login(client, "sup_b")
    assert client.get(f"/fix-rows/{mixed.mixed}").status_code == 404
    assert check(client, mixed.mixed, [row(3, ROW_3_FIXED)]).status_code == 404
    assert import_rows(client, mixed.mixed, [row(3, ROW_3_FIXED)]).status_code == 404
    assert children(client.application, mixed.mixed) == []


@pytest.mark.parametrize("user", ["imp_a", "prin_p"])
def test_who_does_not_resolve_rejections_does_not_fix_them(client, mixed, user):
    """The permission matrix: rejections are resolved by the Supervisor and the Admin."""
    login(client, user)
    assert denied(client.get(f"/fix-rows/{mixed.mixed}"))
    assert check(client, mixed.mixed, [row(3, ROW_3_FIXED)]).status_code == 403
    assert import_rows(client, mixed.mixed, [row(3, ROW_3_FIXED)]).status_code == 403
    assert 'id="fix-in-browser"' not in html(client.get(f"/imports/show/{mixed.mixed}"))


def test_a_repeated_key_left_unchanged_is_still_a_repeat(app, client, portal):
    """The file rejected its second INV-20: imported unchanged, it would overwrite the
    first one's record, so it stays wrong until its key changes."""
    login(client, "imp_a")
    rows = [["INV-20", "C001", "2025-01-31", 1, "PO", None],
            ["INV-20", "C002", "2025-01-31", 2, "PO", None]]
    pk = uploaded_id(upload(client, invoice_xlsx(rows), filename="twice.xlsx"))
    drain(app)
    login(client, "sup_a")
    same = row(3, ["INV-20", "C002", "2025-01-31", "2", "PO", ""])
    (result,) = check(client, pk, [same]).get_json()["rows"]
    assert result["valid"] is False
    assert [(p["index"], "first on row 2" in p["message"]) for p in result["problems"]] == [
        (0, True)]
    answer = import_rows(client, pk, [same]).get_json()
    assert answer["child"] is None and children(app, pk) == []
    renamed = row(3, ["INV-21", "C002", "2025-01-31", "2", "PO", ""])
    assert import_rows(client, pk, [renamed]).get_json()["imported"] == [3]
    drain(app)
    assert invoices(app, "DIST-A")["INV-20"][0] == "C001"  # the first row's record stands
    assert invoices(app, "DIST-A")["INV-21"][0] == "C002"


def test_an_all_or_nothing_file_is_fixed_in_the_file_itself(app, client, portal):
    """None of its rows was written: its fixed rows alone would leave its valid ones out."""
    set_template(app, "DIST-A", "open_invoices", policy=RejectionPolicy.all_or_nothing)
    login(client, "imp_a")
    pk = uploaded_id(upload(client, invoice_xlsx(MIXED_ROWS), filename="whole.xlsx"))
    drain(app)
    login(client, "sup_a")
    page = html(client.get(f"/fix-rows/{pk}"))
    assert 'id="fix-problem"' in page and "imports all or nothing" in page
    assert 'id="fix-in-browser"' not in html(client.get(f"/imports/show/{pk}"))
    response = import_rows(client, pk, [row(3, ROW_3_FIXED)])
    assert response.status_code == 400 and "all or nothing" in response.get_json()["error"]
    assert children(app, pk) == []
