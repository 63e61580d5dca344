"""Template sets from the command line and the API (issue 19.5): `muara import
--template-set` and the `template_set` field of POST /api/v1/integration/files import a
workbook's sheets as one file with counts per sheet; a missing sheet is refused with its
name, another organization's set is not found; a set checks only when no sheet needs
another sheet's master data; a checked or finished workbook runs again whole."""
import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import BalanceAdjustment, Customer, ImportFile, OpenInvoice, Organization
from app.services import template_sets as service
from tests.factories import drain, make_distributor
from tests.set_helpers import INVOICE_HEADER, SET_WORKBOOK, make_set, workbook
from tests.sync_helpers import auth, make_pos

CREDITS_SHEETS = [
    ("Invoices", [INVOICE_HEADER, ["INV-7", "C001", "2025-01-31", 100, "PO-7", "JKT"],
                  ["INV-8", "C404", "2025-01-31", 5, "PO-8", "JKT"]]),
    ("Credits", [["Customer Code", "Credit Date", "Reference", "Amount"],
                 ["C001", "2025-02-01", "CR-1", 25]]),
]


def muara(runner, *args):
    return runner.invoke(args=["muara", *args])


def counted(app, model):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar()


@pytest.fixture
def book(tmp_path):
    def write(sheets, name="month.xlsx"):
        path = tmp_path / name
        path.write_bytes(workbook(sheets))
        return str(path)
    return write


# --- the command line -----------------------------------------------------------------------

def test_the_cli_imports_a_workbook_with_a_set_and_prints_each_sheets_counts(app, runner,
                                                                             book):
    make_distributor(app)
    make_set(app)
    result = muara(runner, "import", book(SET_WORKBOOK), "--template-set", "Monthly",
                   "--org", "D1", "--wait")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["rows"], summary["accepted"], summary["rejected"]) == \
        ("needs_attention", 5, 4, 1)
    assert [(s["sheet"], s["module"], s["accepted"], s["rejected"])
            for s in summary["sheets"]] == [("Customers", "customers", 1, 0),
                                            ("Products", "products", 2, 0),
                                            ("Invoices", "open_invoices", 1, 1)]
    assert [(r["sheet"], r["value"], r["reason"]) for r in summary["rejections"]] == \
        [("Invoices", "NOPE", "unknown_customer")]
    with app.app_context():
        parent = db.session.get(ImportFile, summary["import_id"])
        assert (parent.module, parent.source) == ("template_set", "cli")


def test_the_cli_names_the_set_by_id_too(app, runner, book):
    make_distributor(app)
    set_id = make_set(app)
    result = muara(runner, "import", book(SET_WORKBOOK), "--template-set", str(set_id),
                   "--org", "D1", "--wait")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 4


def test_the_cli_refuses_a_workbook_without_a_sheet_of_the_set_naming_it(app, runner, book):
    make_distributor(app)
    make_set(app)
    without = [sheet for sheet in SET_WORKBOOK if sheet[0] != "Products"]
    result = muara(runner, "import", book(without), "--template-set", "Monthly",
                   "--org", "D1")
    assert result.exit_code == 1
    assert "no sheet 'Products', which the template set Monthly imports" in result.stderr
    assert counted(app, ImportFile) == 0


def test_the_cli_does_not_find_another_organizations_set(app, runner, book):
    make_distributor(app)
    make_distributor(app, code="D2", principal=None, integration="Other")
    make_set(app)  # D1's
    result = muara(runner, "import", book(SET_WORKBOOK), "--template-set", "Monthly",
                   "--org", "D2")
    assert result.exit_code == 1
    assert "No template set Monthly in organization D2." in result.stderr
    assert counted(app, ImportFile) == 0


@pytest.mark.parametrize("args, message", [
    ((), "give either --module or --template-set"),
    (("--module", "customers", "--template-set", "Monthly"),
     "give either --module or --template-set"),
    (("--template-set", "Monthly", "--template", "Mine"), "a template set names the template"),
])
def test_the_cli_wants_a_module_or_a_set(app, runner, book, args, message):
    make_distributor(app)
    make_set(app)
    result = muara(runner, "import", book(SET_WORKBOOK), "--org", "D1", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_set_whose_sheets_need_its_master_data_is_not_checked(app, runner, book):
    make_distributor(app)
    make_set(app)
    result = muara(runner, "import", book(SET_WORKBOOK), "--template-set", "Monthly",
                   "--org", "D1", "--dry-run")
    assert result.exit_code == 1
    assert "Check only is not available for the template set Monthly" in result.stderr
    assert "Customers and Products of the same workbook" in result.stderr
    assert counted(app, ImportFile) == 0


def test_a_set_checks_writing_nothing_then_imports_the_same_bytes(app, runner, book):
    make_distributor(app)
    set_id = make_set(app, name="Balances", sheets=(("Invoices", "open_invoices"),
                                                   ("Credits", "open_credits")))
    result = muara(runner, "import", book(CREDITS_SHEETS), "--template-set", "Balances",
                   "--org", "D1", "--dry-run", "--wait")
    assert result.exit_code == 0, result.output
    checked = json.loads(result.stdout)
    assert (checked["status"], checked["dry_run"], checked["would_create"],
            checked["rejected"]) == ("checked", True, 2, 1)
    assert [(s["sheet"], s["status"], s["would_create"]) for s in checked["sheets"]] == \
        [("Invoices", "checked", 1), ("Credits", "checked", 1)]
    assert counted(app, OpenInvoice) == counted(app, BalanceAdjustment) == 0
    with app.app_context():
        parent = db.session.get(ImportFile, checked["import_id"])
        service.import_set_now(parent)
    drain(app)
    with app.app_context():
        parent = db.session.get(ImportFile, checked["import_id"])
        assert (parent.status.value, parent.accepted, parent.rejected, parent.dry_run) == \
            ("needs_attention", 2, 1, False)
        assert db.session.execute(select(func.count(ImportFile.id))).scalar() == 3
        assert parent.template_set_id == set_id
    assert counted(app, OpenInvoice) == counted(app, BalanceAdjustment) == 1


def test_reprocess_runs_every_sheet_again_with_the_fixed_master_data(app, book, runner):
    make_distributor(app)
    make_set(app)
    result = muara(runner, "import", book(SET_WORKBOOK), "--template-set", "Monthly",
                   "--org", "D1", "--wait")
    parent_id = json.loads(result.stdout)["import_id"]
    with app.app_context():
        org = db.session.execute(select(Organization).where(Organization.code == "D1")).scalar()
        db.session.add(Customer(organization=org, code="NOPE", name="Now known", balance=0))
        db.session.commit()
        service.reprocess_set(db.session.get(ImportFile, parent_id))
        with pytest.raises(Exception, match="waiting to be processed|already"):
            service.reprocess_set(db.session.get(ImportFile, parent_id))  # a second press
    drain(app)
    with app.app_context():
        parent = db.session.get(ImportFile, parent_id)
        assert (parent.status.value, parent.rows_done, parent.accepted, parent.rejected) == \
            ("archived", 5, 5, 0)
    assert counted(app, OpenInvoice) == 2


# --- the API ------------------------------------------------------------------------------

def push(client, key, content, **fields):
    return client.post("/api/v1/integration/files", headers=auth(key), data={
        **fields, "file": (io.BytesIO(content), "month.xlsx")})


def test_the_api_imports_a_workbook_with_a_set_and_reports_its_sheets(app, client):
    _, key = make_pos(app)
    make_set(app)
    response = push(client, key, workbook(SET_WORKBOOK), template_set="Monthly")
    assert response.status_code == 202, response.get_json()
    import_id = response.get_json()["import_id"]
    drain(app)
    result = client.get(f"/api/v1/integration/imports/{import_id}", headers=auth(key))
    assert result.status_code == 200
    body = result.get_json()
    assert (body["status"], body["accepted"], body["rejected"]) == ("needs_attention", 4, 1)
    assert [(s["sheet"], s["accepted"]) for s in body["sheets"]] == \
        [("Customers", 1), ("Products", 2), ("Invoices", 1)]
    with app.app_context():
        assert db.session.get(ImportFile, import_id).source == "api"


def test_the_api_refuses_a_missing_sheet_with_its_name(app, client):
    _, key = make_pos(app)
    make_set(app)
    without = [sheet for sheet in SET_WORKBOOK if sheet[0] != "Customers"]
    response = push(client, key, workbook(without), template_set="Monthly")
    assert response.status_code == 409
    assert "no sheet 'Customers', which the template set Monthly" in \
        response.get_json()["message"]
    assert counted(app, ImportFile) == 0


def test_the_api_does_not_find_another_organizations_set(app, client):
    make_distributor(app)
    make_set(app)  # D1's
    _, key = make_pos(app, code="D2", integration="Other")
    response = push(client, key, workbook(SET_WORKBOOK), template_set="Monthly")
    assert response.status_code == 404
    assert response.get_json()["message"] == "No template set Monthly in organization D2."
    assert counted(app, ImportFile) == 0


@pytest.mark.parametrize("fields, field", [
    ({"template_set": "Monthly", "module": "customers"}, "template_set"),
    ({}, "module"),
])
def test_the_api_wants_a_module_or_a_set(app, client, fields, field):
    _, key = make_pos(app)
    make_set(app)
    response = push(client, key, workbook(SET_WORKBOOK), **fields)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_set_name_with_a_nul_byte_is_only_not_found(app, client):
    _, key = make_pos(app)
    make_set(app)
    response = push(client, key, workbook(SET_WORKBOOK), template_set="Month\x00ly")
    assert response.status_code == 404
    assert counted(app, ImportFile) == 0
