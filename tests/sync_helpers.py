"""Building blocks of the sync and API tests: a distributor with an External
integration, products and an API key."""

from sqlalchemy import select

from app.extensions import db
from app.models import Integration
from app.models.sync import SyncRecord
from tests.factories import make_distributor


def make_pos(app, code="D1", integration="Files", **settings):
    """Distributor `code` (connected to P1, products P001/P002) and a key of its
    External integration; returns (integration id, key)."""
    from app.services.apikeys import create_key
    make_distributor(app, code=code, integration=integration)
    with app.app_context():
        row = db.session.execute(select(Integration).where(Integration.name == integration)
                                 .join(Integration.organization)
                                 .filter_by(code=code)).scalar()
        for name, value in settings.items():
            setattr(row, name, value)
        _, key = create_key(row)
        db.session.commit()
        return row.id, key


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def sale(reference, date="2026-01-05T10:00:00", product="P001", quantity="2", price="1.5",
         **extra):
    return {"kind": "sales_transaction", "reference": reference, "date": date,
            "lines": [{"product": product, "quantity": quantity, "unit_price": price}], **extra}


def transfer_out(reference, date="2026-01-05T09:00:00", product="P001"):
    return {"kind": "transfer_out", "reference": reference, "date": date, "location": "JKT",
            "destination": "BDG", "lines": [{"product": product, "quantity": "3"}]}


def transfer_in(reference, out_reference, date="2026-01-05T12:00:00"):
    return {"kind": "transfer_in", "reference": reference, "date": date, "location": "BDG",
            "transfer_out": out_reference, "lines": [{"product": "P001", "quantity": "3"}]}


def customer(reference, name="Toko", customer_id=None, date="2026-01-05"):
    doc = {"kind": "customer", "reference": reference, "date": date, "name": name}
    if customer_id is not None:
        doc["customer_id"] = customer_id
    return doc


def push(client, key, *documents):
    return client.post("/api/v1/integration/documents", json={"documents": list(documents)},
                       headers=auth(key))


def records(app, integration_id):
    """{(kind, reference): (status, reason, attempts)}"""
    with app.app_context():
        rows = db.session.execute(select(SyncRecord).where(
            SyncRecord.integration_id == integration_id)).scalars()
        return {(r.kind, r.reference): (str(r.status), r.reason, r.attempts) for r in rows}
