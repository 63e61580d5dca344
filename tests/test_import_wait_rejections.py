"""`muara import --wait` of a file with many rejections (issue 15, SPEC section 8): the
JSON lists the first 1,000 and says how many there are and how many more; every
rejection is still logged (the file page and the download have them all)."""
import csv

from app.extensions import db
from app.models import ImportRejection
from tests.factories import INVOICE_HEADER, make_distributor, run_import

ROWS = 1_250
GOOD_EVERY = 5  # every fifth row is good: 1,000 rejected, 250 accepted


def many_rejections_file(path, rows=ROWS):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(INVOICE_HEADER)
        for n in range(1, rows + 1):
            customer = "C001" if n % GOOD_EVERY == 0 else "X999"  # unknown customer
            writer.writerow([f"INV-{n}", customer, "2025-01-31", "10.5", f"PO-{n}", "JKT"])
    return str(path)


def test_the_wait_json_lists_the_first_1000_rejections_and_says_how_many_more(
        app, runner, tmp_path):
    make_distributor(app)
    path = many_rejections_file(tmp_path / "many.csv", rows=1_500)
    _, data = run_import(runner, path)
    rejected = 1_500 - 1_500 // GOOD_EVERY  # 1,200
    assert data["status"] == "needs_attention"
    assert (data["rows"], data["accepted"], data["rejected"]) == (1_500, 300, rejected)
    assert len(data["rejections"]) == 1_000
    assert data["rejections_total"] == rejected
    assert data["rejections_more"] == rejected - 1_000
    # The first ones, in row order: row 2 is the first data row (and is rejected).
    assert [r["row"] for r in data["rejections"][:3]] == [2, 3, 4]
    assert data["rejections"][0]["reason"] == "unknown_customer"
    with app.app_context():
        logged = db.session.query(ImportRejection).filter_by(
            import_id=data["import_id"]).count()
    assert logged == rejected  # all of them logged, not only those listed


def test_the_wait_json_of_at_most_1000_rejections_lists_them_all(app, runner, tmp_path):
    make_distributor(app)
    path = many_rejections_file(tmp_path / "some.csv", rows=ROWS)
    _, data = run_import(runner, path)
    assert data["rejected"] == 1_000
    assert len(data["rejections"]) == 1_000
    assert "rejections_total" not in data and "rejections_more" not in data
