"""Fix and re-upload closes the original (issue 17.3): a rejected row keeps its natural
key; a later file of the same organization and module that imports a record with that
key resolves the rejection, naming itself; a file with every rejection resolved (by a
later file or by hand) leaves "Needs attention"."""
import json

from sqlalchemy import select

from app.extensions import db
from app.models import ImportFile, ImportRejection
from app.models.imports import ImportStatus
from app.services.rejections import resolve_rejections
from tests.factories import invoice_file, make_distributor, run_import

# Open Invoices: the natural key is the invoice number (reference).
MIXED = [
    ["INV-1", "C001", "2025-01-31", 100, "PO-1", "JKT"],
    ["INV-2", "C999", "2025-02-01", 20, "PO-2", "JKT"],        # unknown customer
    ["INV-3", "C002", "2025-13-45", 30, "PO-3", "JKT"],        # invalid date
]
FIXED = [
    ["INV-2", "C002", "2025-02-01", 20, "PO-2", "JKT"],
    ["INV-3", "C002", "2025-02-03", 30, "PO-3", "JKT"],
]


def rejections(app, import_id):
    with app.app_context():
        return db.session.execute(
            select(ImportRejection).where(ImportRejection.import_id == import_id)
            .order_by(ImportRejection.row)).scalars().all()


def status(app, import_id):
    with app.app_context():
        return db.session.get(ImportFile, import_id).status


def test_a_rejection_keeps_its_rows_natural_key(app, runner, tmp_path):
    make_distributor(app)
    _, data = run_import(runner, invoice_file(tmp_path, MIXED))
    assert data["accepted"] == 1 and data["rejected"] == 2
    keys = [json.loads(r.natural_key) for r in rejections(app, data["import_id"])]
    assert keys == [["INV-2"], ["INV-3"]]


def test_a_later_file_importing_the_keys_resolves_the_rejections_and_closes_the_file(
        app, runner, tmp_path):
    make_distributor(app)
    _, first = run_import(runner, invoice_file(tmp_path, MIXED, "first.xlsx"))
    assert status(app, first["import_id"]) == ImportStatus.needs_attention

    # only one of the two rows fixed: the file still needs attention
    _, partial = run_import(runner, invoice_file(tmp_path, FIXED[:1], "fix-one.xlsx"))
    found = rejections(app, first["import_id"])
    assert [(r.natural_key, r.resolved, r.resolved_by_id) for r in found] == [
        ('["INV-2"]', True, partial["import_id"]), ('["INV-3"]', False, None)]
    assert status(app, first["import_id"]) == ImportStatus.needs_attention

    _, fixed = run_import(runner, invoice_file(tmp_path, FIXED, "fixed.xlsx"))
    assert fixed["accepted"] == 2 and fixed["rejected"] == 0
    found = rejections(app, first["import_id"])
    assert all(r.resolved and r.resolved_at is not None for r in found)
    assert [r.resolved_by_id for r in found] == [partial["import_id"], fixed["import_id"]]
    assert status(app, first["import_id"]) == ImportStatus.archived


def test_another_organization_or_module_resolves_nothing(app, runner, tmp_path):
    make_distributor(app)
    make_distributor(app, code="D2", principal="P1")
    _, first = run_import(runner, invoice_file(tmp_path, MIXED, "first.xlsx"))
    run_import(runner, invoice_file(tmp_path, FIXED, "other-org.xlsx"), "open_invoices", "D2")
    assert not any(r.resolved for r in rejections(app, first["import_id"]))
    assert status(app, first["import_id"]) == ImportStatus.needs_attention


def test_a_row_rejected_again_resolves_nothing(app, runner, tmp_path):
    make_distributor(app)
    _, first = run_import(runner, invoice_file(tmp_path, MIXED, "first.xlsx"))
    _, again = run_import(runner, invoice_file(tmp_path, MIXED[1:], "same-errors.xlsx"))
    assert again["rejected"] == 2
    assert not any(r.resolved for r in rejections(app, first["import_id"]))


def test_resolving_every_rejection_by_hand_closes_the_file(app, runner, tmp_path):
    make_distributor(app)
    _, first = run_import(runner, invoice_file(tmp_path, MIXED))
    with app.app_context():
        found = db.session.execute(select(ImportRejection).where(
            ImportRejection.import_id == first["import_id"])).scalars().all()
        resolve_rejections(found[:1])
        assert db.session.get(ImportFile, first["import_id"]).status == \
            ImportStatus.needs_attention
        resolve_rejections(found[1:])
        assert db.session.get(ImportFile, first["import_id"]).status == ImportStatus.archived
