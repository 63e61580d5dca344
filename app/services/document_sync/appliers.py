"""What applying one sync record means, per kind of document: its row (and lines) in its
own table, or a customer in the master data. A record that cannot be applied raises
SyncFailure with the reason shown on the panel."""
import secrets
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Customer, Integration, Product, documents
from app.models.sync import SyncRecord, SyncStatus


class SyncFailure(Exception):
    """A record that cannot be applied; its message is the reason shown on the panel."""


class ApplyContext:
    """What applying needs, loaded once per chunk: the organization's product codes and
    its customers (by code and by the source's id)."""

    def __init__(self, integration: Integration):
        self.integration = integration
        self.org_id = integration.organization_id
        self.products = set(db.session.execute(
            select(Product.code).where(Product.organization_id == self.org_id)).scalars())
        self._customers = None

    def customer_code(self, named: str | None) -> str | None:
        """The code of the customer a document names, by its code or by the source's
        customer id (what a POS knows it by when Muara generated the code)."""
        if named is None:
            return None  # a walk-in sale
        if self._customers is None:
            self._customers = {}
            for code, source_id in db.session.execute(
                    select(Customer.code, Customer.source_id)
                    .where(Customer.organization_id == self.org_id)):
                self.knows_customer(code, source_id)
        code = self._customers.get(named)
        if code is None:
            raise SyncFailure(f"unknown customer {named}: synchronize the customer (or add "
                              "it to the customers of the organization), then refresh")
        return code

    def knows_customer(self, code: str, source_id: str | None) -> None:
        if self._customers is not None:
            if source_id:
                self._customers.setdefault(source_id, code)
            self._customers[code] = code

    def check_products(self, lines: list[dict]) -> None:
        unknown = sorted({line["product"] for line in lines} - self.products)
        if unknown:
            raise SyncFailure(f"unknown product {', '.join(unknown)}: add it to the "
                              "products of the organization, then refresh")


def _upsert(model, context, record, payload, match=(), **values):
    """The document's row (found by reference and `match`, else new) with `values`."""
    row = db.session.execute(select(model).where(
        model.organization_id == context.org_id, model.integration_id == context.integration.id,
        model.reference == record.reference, *match)).scalar()
    if row is None:
        row = model(organization_id=context.org_id, integration_id=context.integration.id,
                    reference=record.reference)
        db.session.add(row)
    row.document_date = record.document_date.date()
    row.location_code = payload.get("location")
    for key, value in values.items():
        setattr(row, key, value)
    return row


def _stock_lines(lines):
    return [documents.StockDocumentLine(product_code=line["product"],
                                        quantity=Decimal(line["quantity"]))
            for line in lines]


def apply_sales_transaction(context: ApplyContext, record: SyncRecord, payload: dict) -> None:
    context.check_products(payload["lines"])
    lines = [documents.SalesTransactionLine(product_code=line["product"],
                                  quantity=Decimal(line["quantity"]),
                                  unit_price=Decimal(line["unit_price"]))
             for line in payload["lines"]]
    customer_code = context.customer_code(payload.get("customer"))
    row = _upsert(documents.SalesTransaction, context, record, payload,
                  customer_code=customer_code,
                  total=sum(line.quantity * line.unit_price for line in lines))
    row.lines = lines


def apply_transfer_out(context: ApplyContext, record: SyncRecord, payload: dict) -> None:
    context.check_products(payload["lines"])
    row = _upsert(documents.StockTransfer, context, record, payload,
                  match=[documents.StockTransfer.direction == "out"], direction="out",
                  destination_code=payload["destination"])
    row.lines = _stock_lines(payload["lines"])


def apply_transfer_in(context: ApplyContext, record: SyncRecord, payload: dict) -> None:
    out_reference = payload["transfer_out"]
    out_status = db.session.execute(
        select(SyncRecord.status).where(SyncRecord.integration_id == context.integration.id,
                                        SyncRecord.kind == "transfer_out",
                                        SyncRecord.reference == out_reference)).scalar()
    if out_status != SyncStatus.success:
        state = "was not received" if out_status is None else f"is {out_status.label.lower()}"
        raise SyncFailure(f"transfer out {out_reference} has not been synchronized ({state}): "
                          "fix and refresh it first, then refresh this transfer in")
    context.check_products(payload["lines"])
    row = _upsert(documents.StockTransfer, context, record, payload,
                  match=[documents.StockTransfer.direction == "in"], direction="in",
                  transfer_out_reference=out_reference)
    row.lines = _stock_lines(payload["lines"])


def apply_stock_adjustment(context: ApplyContext, record: SyncRecord, payload: dict) -> None:
    context.check_products(payload["lines"])
    row = _upsert(documents.StockAdjustment, context, record, payload, note=payload.get("note"))
    row.lines = _stock_lines(payload["lines"])


def apply_stock_opname(context: ApplyContext, record: SyncRecord, payload: dict) -> None:
    context.check_products(payload["lines"])
    row = _upsert(documents.StockOpname, context, record, payload)
    row.lines = _stock_lines(payload["lines"])


def apply_customer(context: ApplyContext, record: SyncRecord, payload: dict) -> None:
    """Customer data mapping (INT-2): with the flag on, the source's customer id is the
    customer code; without an id, or with the flag off, a unique code is generated.
    The source id is kept either way, so a customer sent again is updated, not doubled."""
    source_id = (payload.get("customer_id") or "").strip() or None
    customer = None
    if source_id:
        customer = db.session.execute(select(Customer).where(
            Customer.organization_id == context.org_id, Customer.source_id == source_id)).scalar()
    if customer is None and source_id and context.integration.use_source_customer_id:
        customer = db.session.execute(select(Customer).where(
            Customer.organization_id == context.org_id, Customer.code == source_id)).scalar()
    if customer is None:
        code = (source_id if source_id and context.integration.use_source_customer_id
                else generated_customer_code(context.org_id))
        customer = Customer(organization_id=context.org_id, code=code, balance=0)
        db.session.add(customer)
    customer.name = payload["name"]
    customer.source_id = source_id
    db.session.flush()  # a code that could not be written is not offered to sales
    context.knows_customer(customer.code, source_id)


def generated_customer_code(org_id: int) -> str:
    while True:
        code = "C-" + secrets.token_hex(4).upper()
        taken = db.session.execute(select(Customer.id).where(
            Customer.organization_id == org_id, Customer.code == code)).first()
        if not taken:
            return code


APPLY = {"sales_transaction": apply_sales_transaction, "transfer_out": apply_transfer_out,
         "transfer_in": apply_transfer_in, "stock_adjustment": apply_stock_adjustment,
         "stock_opname": apply_stock_opname, "customer": apply_customer}
