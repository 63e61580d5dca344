"""Master data of customer returns (seed 004): sales organizations (partners), units of
measure and return types, shared by the demo data, the tests and the benchmark."""
import uuid

from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.models import Customer, Organization, Partner, Product, ReturnType, UnitOfMeasure
from app.services.transaction import owns_transaction


def _exists(model, org, key, value):
    return db.session.execute(select(model.id).where(
        model.organization_id == org.id, getattr(model, key) == value)).first() is not None


def _add(model, org, what, key, value, **columns):
    """A new row of the organization's returns master data, with a fresh guid; its
    natural key (`key` = `value`) must be free."""
    if _exists(model, org, key, value):
        raise MuaraError(f"duplicate {what} of {org.code}: {value}")
    row = model(organization=org, guid=str(uuid.uuid4()), **{key: value}, **columns)
    db.session.add(row)
    return row


@owns_transaction
def add_partner(org: Organization, number: str, name: str) -> Partner:
    return _add(Partner, org, "sales organization", "number", number, name=name)


@owns_transaction
def add_unit(org: Organization, code: str, name: str) -> UnitOfMeasure:
    return _add(UnitOfMeasure, org, "unit of measure", "code", code, name=name)


@owns_transaction
def add_return_type(org: Organization, code: str, name: str, prefix: str = "", width: int = 6,
                    next_number: int = 1) -> ReturnType:
    return _add(ReturnType, org, "customer return type", "code", code, name=name,
                number_prefix=prefix, number_width=width, next_number=next_number)


@owns_transaction
def add_seed_004_master_data(org: Organization) -> None:
    """What the samples of seed 004 reference: sales organization 90000, customer 10010,
    item 10010 in unit pc, return type KR."""
    add_partner(org, "90000", "Sales organization 90000")
    add_unit(org, "pc", "piece")
    add_return_type(org, "KR", "Customer return", prefix="KR", width=6)
    if not _exists(Customer, org, "code", "10010"):
        db.session.add(Customer(organization=org, code="10010", name="Customer 10010",
                                balance=0))
    if not _exists(Product, org, "code", "10010"):
        db.session.add(Product(organization=org, code="10010", name="Item 10010", unit="pc"))
    db.session.flush()
