"""Helpers of the customer returns tests: a distributor with seed 004's master data,
files built from CustomerReturn snippets, and what the database holds."""
import json
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import CustomerReturn, ImportRejection, Organization

DATA = Path(__file__).parent / "data" / "returns"
NS = "com.cisag.app.sales.customerreturn.obj.CustomerReturn"
HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<semiramis xmlns="{NS}">\n'

MINIMAL = ("<invoicingPartyData><partner><number>90000</number></partner></invoicingPartyData>"
           "<customerData><CustomerPartner><number>10010</number></CustomerPartner>"
           "</customerData><Type><code>KR</code></Type>")


def detail(inner="", item="10010", amount="10", unit="pc"):
    parts = ""
    if item is not None:
        parts += f"<item><number>{item}</number></item>"
    if amount is not None:
        parts += f"<totalQuantity><amount>{amount}</amount>" + \
            (f"<uom><code>{unit}</code></uom>" if unit else "") + "</totalQuantity>"
    return f"<Details>{parts}{inner}</Details>"


def doc(*returns):
    return HEAD + "".join(f"<CustomerReturn>{r}</CustomerReturn>\n" for r in returns) + \
        "</semiramis>\n"


def write(tmp_path, text, name="returns.xml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def import_returns(runner, path, org="D1", *extra, ok=True):
    result = runner.invoke(args=["muara", "import", path, "--module", "customer_returns",
                                 "--org", org, "--wait", "--force", *extra])
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    data = json.loads(result.stdout) if result.stdout.strip() else None
    return data


def stored_returns(app, org="D1"):
    """{(type, number): {...}} of every return of ORG, with details and texts."""
    with app.app_context():
        rows = db.session.execute(
            select(CustomerReturn).join(Organization,
                                        CustomerReturn.organization_id == Organization.id)
            .where(Organization.code == org).order_by(CustomerReturn.id)).scalars().all()
        return {(r.type.code, r.number): {
            "guid": r.guid, "partner": r.partner.number, "customer": r.customer.code,
            "status": str(r.status),
            "texts": [(t.language, t.text, t.content_type) for t in r.info_texts],
            "assignments": [(a.number, a.type, a.code, [(t.language, t.text) for t in a.texts])
                            for a in r.text_assignments],
            "details": [(d.number, d.item.code, format(d.quantity.normalize(), "f"), d.uom.code,
                         d.canceled, str(d.status)) for d in r.details]} for r in rows}


def log_lines(app, import_id):
    with app.app_context():
        return [(r.severity, r.row, r.column, r.reason, r.message)
                for r in db.session.execute(select(ImportRejection)
                                            .where(ImportRejection.import_id == import_id)
                                            .order_by(ImportRejection.id)).scalars()]


def check_counts(app, data):
    """rows = accepted + rejected; every rejected return has at least one error and only
    they have; the log in the database holds exactly the errors and messages printed."""
    from sqlalchemy import func

    from app.models import ImportFile
    assert data["rows"] == data["accepted"] + data["rejected"]
    assert len({r["row"] for r in data["rejections"]}) == data["rejected"]
    with app.app_context():
        imp = db.session.get(ImportFile, data["import_id"])
        assert (str(imp.status), imp.rows_done, imp.accepted, imp.rejected) == \
            (data["status"], data["rows"], data["accepted"], data["rejected"])
        by_severity = dict(db.session.execute(
            select(ImportRejection.severity, func.count())
            .where(ImportRejection.import_id == imp.id)
            .group_by(ImportRejection.severity)).all())
    assert by_severity.get("error", 0) == len(data["rejections"])
    assert by_severity.get("warning", 0) + by_severity.get("info", 0) == \
        len(data.get("messages", []))
