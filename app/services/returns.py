"""Master data of customer returns (seed 004): sales organizations (partners), units of
measure and return types, shared by the demo data, the tests and the benchmark."""
import uuid

from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.models import Customer, Partner, Product, ReturnType, UnitOfMeasure
from app.services.transaction import owns_transaction


def _exists(model, org, **key):
    query = select(model.id).where(model.organization_id == org.id)
    for name, value in key.items():
        query = query.where(getattr(model, name) == value)
    return db.session.execute(query).first() is not None


@owns_transaction
def add_partner(org, number, name):
    if _exists(Partner, org, number=number):
        raise MuaraError(f"duplicate sales organization of {org.code}: {number}")
    partner = Partner(organization=org, number=number, name=name, guid=str(uuid.uuid4()))
    db.session.add(partner)
    return partner


@owns_transaction
def add_unit(org, code, name):
    if _exists(UnitOfMeasure, org, code=code):
        raise MuaraError(f"duplicate unit of measure of {org.code}: {code}")
    unit = UnitOfMeasure(organization=org, code=code, name=name, guid=str(uuid.uuid4()))
    db.session.add(unit)
    return unit


@owns_transaction
def add_return_type(org, code, name, prefix="", width=6, next_number=1):
    if _exists(ReturnType, org, code=code):
        raise MuaraError(f"duplicate customer return type of {org.code}: {code}")
    ret_type = ReturnType(organization=org, code=code, name=name, guid=str(uuid.uuid4()),
                          number_prefix=prefix, number_width=width, next_number=next_number)
    db.session.add(ret_type)
    return ret_type


@owns_transaction
def add_seed_004_master_data(org):
    """What the samples of seed 004 reference: sales organization 90000, customer 10010,
    item 10010 in unit pc, return type KR."""
    add_partner(org, "90000", "Sales organization 90000")
    add_unit(org, "pc", "piece")
    add_return_type(org, "KR", "Customer return", prefix="KR", width=6)
    if not _exists(Customer, org, code="10010"):
        db.session.add(Customer(organization=org, code="10010", name="Customer 10010",
                                balance=0))
    if not _exists(Product, org, code="10010"):
        db.session.add(Product(organization=org, code="10010", name="Item 10010", unit="pc"))
    db.session.flush()
