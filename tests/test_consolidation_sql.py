"""Sync All in SQL on SQLite (issue 15, app.importing.consolidation_sql) writes what the
per-record path writes: the same documents and lines (the same values, stored the same
way, ids in the same order), the same before-images, and an undo gives back the same
tables. D1's files go through the per-record path, D2's (the same files) through SQL,
two documents per chunk so that chunk boundaries are crossed."""
import json

import pytest
from sqlalchemy import delete

from app.extensions import db
from app.importing import consolidation
from app.importing.before_images import from_json, imaged, lines_from_json
from app.importing.consolidation import consolidate_file
from app.models import ImportFile, Product
from app.services import directory
from app.services.undo import request_undo, undo_import
from tests.consolidation_helpers import import_file, order_file, portal

FIRST = [
    # the header on the first line; a header given on a row of its own, first
    ["SO-1", "2025-02-01", "C001", "P001", 2, 1500, "JKT"],
    ["SO-1", None, None, "P002", 1, 250.5, None],
    ["SO-2", "2025-02-02", "C002", None, None, None, None],
    ["SO-2", None, None, "P001", 0.5, 0.005, None],     # 0.0025: half to even, 0.002
    ["SO-2", None, None, "P002", 2.5, 0.003, None],     # 0.0075 -> 0.008
    # the header between two lines (lines not next to each other)
    ["SO-3", None, None, "P001", 1.5, 0.001, None],     # 0.0015 -> 0.002
    ["SO-3", "2025-02-03", "C001", None, None, None, None],
    ["SO-3", None, None, "P002", 0.5, -0.005, None],    # -0.0025 -> -0.002
    # two documents whose lines alternate; a header repeated on every line
    ["SO-4", "2025-02-04", "C001", "P001", 3, 0.335, None],
    ["SO-5", "2025-02-05", "C002", "P002", 7, 1.1, None],
    ["SO-4", "2025-02-04", "C001", "P002", 0.125, 0.02, None],
    ["SO-5", "2025-02-05", "C002", "P001", 1, 99.999, None],
    # numbers too large for the SQL integers, one written with an exponent
    ["SO-6", "2025-02-06", "C002", "P001", "123456789012.5", 3.333, None],
    ["SO-6", None, None, "P002", "1E+13", 2, None],
    ["SO-9", "2025-02-09", "C001", "P001", 999999999999, 999.999, None],
]
# Changes SO-1 and SO-3, gives SO-2 again as it was, adds SO-7 (SO-4 is a later file's).
SECOND = [
    ["SO-1", "2025-03-01", "C002", "P002", 5, 99.125, None],
    ["SO-2", "2025-02-02", "C002", None, None, None, None],
    ["SO-2", None, None, "P001", 0.5, 0.005, None],
    ["SO-2", None, None, "P002", 2.5, 0.003, None],
    ["SO-3", "2025-02-03", "C001", "P001", 4, 4, None],
    ["SO-4", "2025-02-04", "C001", "P001", 1, 1, None],
    ["SO-7", "2025-03-07", "C001", "P001", 1, 1, None],
    ["SO-7", None, None, "P002", 2, 2, None],
]
# Consolidated before SECOND, though imported after it: SO-4 stays as it has it.
LATER = [["SO-4", "2025-04-04", "C002", "P002", 9, 9, None],
         ["SO-8", "2025-04-08", "C001", "P001", 1, 2, None]]


@pytest.fixture
def sqlite_only(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the SQL path is SQLite's; PostgreSQL takes the per-record path")


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(consolidation, "DOCUMENTS_PER_CHUNK", 2)
    monkeypatch.setattr(consolidation, "DOCUMENTS_PER_SQL_CHUNK", 2)


def consolidate(app, monkeypatch, import_id, in_sql):
    monkeypatch.setattr(consolidation, "set_wise", lambda session: in_sql)
    with app.app_context():
        outcome = consolidate_file(db.session, import_id)
        return outcome.status, outcome.records, outcome.reason, outcome.message


def raw(app, sql, *parameters):
    with app.app_context():
        return db.session.connection().exec_driver_sql(sql, parameters).all()


def tables(app, org, labels):
    """The organization's orders and lines as SQLite stores them (values and storage
    classes), in id order, ids and times left out; file ids named by `labels`."""
    org_id = _org_id(app, org)
    headers = [(labels[row[0]], *row[1:]) for row in raw(
        app, "SELECT o.file_id, o.number, o.order_date, c.code, l.code, o.principal_id, "
             "o.line_count, o.total, typeof(o.total) FROM sales_order o "
             "JOIN customer c ON c.id = o.customer_id LEFT JOIN location l "
             "ON l.id = o.location_id WHERE o.organization_id = ? ORDER BY o.id", org_id)]
    lines = raw(app, "SELECT o.number, n.line_no, p.code, n.quantity, typeof(n.quantity), "
                     "n.unit_price, typeof(n.unit_price), n.amount, typeof(n.amount) "
                     "FROM sales_order_line n JOIN sales_order o ON o.id = n.order_id "
                     "JOIN product p ON p.id = n.product_id WHERE o.organization_id = ? "
                     "ORDER BY n.id", org_id)
    return headers, [tuple(row) for row in lines]


def images(app, org, labels):
    """The before-images of the organization's orders: (file, number) -> the image with
    ids given as codes and labels (None for a created order)."""
    spec = imaged("sales_orders")
    codes = {kind: dict(raw(app, f"SELECT id, code FROM {kind}"))
             for kind in ("customer", "location", "product")}
    found = {}
    for import_id, number, before in raw(
            app, "SELECT i.import_id, o.number, i.before FROM import_before_image i "
                 "JOIN sales_order o ON o.id = i.record_id WHERE i.table_name = 'sales_order' "
                 "AND o.organization_id = ?", _org_id(app, org)):
        image = None
        if before is not None:
            image = from_json(spec, before)
            image.pop("consolidated_at")
            image.update(file_id=labels[image["file_id"]],
                         customer_id=codes["customer"][image["customer_id"]],
                         location_id=codes["location"].get(image["location_id"]),
                         lines=[(line["line_no"], codes["product"][line["product_id"]],
                                 line["quantity"], line["unit_price"], line["amount"])
                                for line in lines_from_json(spec, json.loads(before)["lines"])])
        found[(labels[import_id], number)] = image
    return found


def _org_id(app, code):
    with app.app_context():
        return directory.get_org(code).id


def files(runner, tmp_path, org, *contents):
    found = [import_file(runner, order_file(tmp_path, rows, f"{org}-{n}.xlsx"), "sales_orders",
                         org) for n, rows in enumerate(contents)]
    assert [data["rejected"] for data in found] == [0] * len(contents)
    return [data["import_id"] for data in found]


def test_the_sql_path_writes_what_the_per_record_path_writes(
        app, runner, tmp_path, monkeypatch, sqlite_only, small_chunks):
    portal(app)
    written, labels = {}, {}
    for org, in_sql in (("D1", False), ("D2", True)):
        first, second, later = files(runner, tmp_path, org, FIRST, SECOND, LATER)
        labels.update({first: "first", second: "second", later: "later"})
        # The later file first, as a real-time file would be: SECOND leaves SO-4 alone.
        written[org] = [consolidate(app, monkeypatch, import_id, in_sql)
                        for import_id in (first, later, second)]
        written[org + " tables"] = tables(app, org, labels)
        written[org + " images"] = images(app, org, labels)
        undo = second

        with app.app_context():
            request_undo(db.session.get(ImportFile, undo))
            assert undo_import(undo)["status"] == "undone"
        written[org + " undone"] = tables(app, org, labels)

    assert written["D1"] == written["D2"] == [
        ("consolidated", 7, None, None), ("consolidated", 2, None, None),
        ("consolidated", 4, None, None)]
    headers, lines = written["D2 tables"]
    assert headers[0][:5] == ("second", "SO-1", "2025-03-01", "C002", None)
    assert [line[1:3] + line[7:8] for line in lines if line[0] in ("SO-2", "SO-3")] == [
        (1, "P001", 0.002), (2, "P002", 0.008), (1, "P001", 16)], "half to even, in order"
    assert written["D1 tables"] == written["D2 tables"]
    assert written["D1 images"] == written["D2 images"]
    assert written["D1 undone"] == written["D2 undone"]
    first_lines = [line for line in written["D2 undone"][1] if line[0] in ("SO-6", "SO-9")]
    assert [line[7] for line in first_lines] == [411481477778.662, 2e13, 999998999999000.0]


def test_a_chunk_with_a_deleted_code_fails_as_on_the_per_record_path(
        app, runner, tmp_path, monkeypatch, sqlite_only, small_chunks):
    portal(app)
    outcomes = []
    for org, in_sql in (("D1", False), ("D2", True)):
        (first,) = files(runner, tmp_path, org, FIRST)
        with app.app_context():
            db.session.execute(delete(Product).where(
                Product.organization_id == directory.get_org(org).id, Product.code == "P002"))
            db.session.commit()
        outcomes.append(consolidate(app, monkeypatch, first, in_sql))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][:3] == ("failed", 0, "unknown_product")
